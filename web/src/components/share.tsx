// "Share": who may see a project (private, unlisted: by its link only, public: in the
// gallery too), its description for the gallery, and its link to copy.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Project, Visibility } from '../api';

const CHOICES: { value: Visibility; label: string; detail: string }[] = [
  { value: 'private', label: 'Private', detail: 'only you can see it' },
  { value: 'unlisted', label: 'Unlisted', detail: 'anyone with the link can read and run it; not in the gallery' },
  { value: 'public', label: 'Public', detail: 'in the gallery: anyone can find, read and run it' },
];

export function visibilityText(v: Visibility): string {
  return CHOICES.find((c) => c.value === v)?.detail ?? v;
}

export function projectLink(id: string): string {
  return `${location.origin}/p/${id}`;
}

// Copies `text`: the Clipboard API where the page may use it (a secure context), else the
// selected text of `fallback` with the older command.
async function copyText(text: string, fallback: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the selection
  }
  if (!fallback) return false;
  fallback.focus();
  fallback.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

export function ShareButton(props: {
  project: Project;
  owner: boolean;
  onChange: (patch: Partial<Pick<Project, 'visibility' | 'description'>>) => Promise<unknown>;
}) {
  const { project, owner } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const linkInput = useRef<HTMLInputElement>(null);
  const [description, setDescription] = useState(project.description ?? '');
  const [copied, setCopied] = useState<'' | 'copied' | 'failed'>('');
  useEffect(() => setDescription(project.description ?? ''), [project.id, project.description]);
  const shared = project.visibility !== 'private';
  const link = projectLink(project.id);

  const open = () => {
    setCopied('');
    dialog.current?.showModal();
  };
  const copy = async () => setCopied((await copyText(link, linkInput.current)) ? 'copied' : 'failed');
  const saveDescription = () => {
    if (description !== (project.description ?? '')) props.onChange({ description });
  };

  return (
    <>
      <button
        class={'small share-button ' + project.visibility}
        onClick={open}
        aria-haspopup="dialog"
        title={`Share: ${visibilityText(project.visibility)}`}
        data-testid="share-button"
      >
        Share <span class={'badge ' + project.visibility}>{project.visibility}</span>
      </button>
      <dialog ref={dialog} class="share-dialog" aria-labelledby="share-title" onClose={saveDescription}>
        <form method="dialog" class="share-form">
          <h2 id="share-title">Share “{project.name}”</h2>
          {owner && (
            <fieldset class="visibility-choice">
              <legend>Who can see it</legend>
              {CHOICES.map((c) => (
                <label key={c.value} class="choice">
                  <input
                    type="radio"
                    name="visibility"
                    value={c.value}
                    checked={project.visibility === c.value}
                    onChange={() => props.onChange({ visibility: c.value })}
                  />
                  <span>
                    <strong>{c.label}</strong> <span class="muted small">— {c.detail}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          <p class="muted small" data-testid="visibility-state">
            {project.visibility === 'public'
              ? 'Public: in the gallery, anyone can read it'
              : project.visibility === 'unlisted'
                ? 'Unlisted: anyone with the link can read it'
                : 'Private: only you can see it'}
          </p>
          {owner && (
            <label class="description">
              Description <span class="muted small">(shown in the gallery)</span>
              <textarea
                aria-label="Description"
                maxLength={500}
                rows={2}
                value={description}
                placeholder="What it does, in a sentence"
                onInput={(e) => setDescription(e.currentTarget.value)}
                onBlur={saveDescription}
              />
            </label>
          )}
          <label class="share-link">
            Link
            <span class="row">
              <input ref={linkInput} readOnly value={link} aria-label="Link" class="grow" onFocus={(e) => e.currentTarget.select()} />
              <button type="button" class="primary small" onClick={copy} disabled={!shared}>
                Copy link
              </button>
            </span>
          </label>
          <p class="small" role="status" aria-live="polite">
            {!shared
              ? 'Make it unlisted or public first: a private project opens for you only.'
              : copied === 'copied'
                ? 'Copied the link.'
                : copied === 'failed'
                  ? 'Could not copy: select the link and copy it.'
                  : ''}
          </p>
          <div class="row end">
            <button value="close" class="small">
              Done
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
