// Before a version is restored: what the restore would do to each file, as a diff from
// the current code to the version's, with the restore one click away.
import { useEffect, useState } from 'preact/hooks';
import { structuredPatch } from 'diff';
import { api, ComparedFile } from '../api';

const VERB: Record<ComparedFile['status'], string> = {
  changed: 'changes',
  restored: 'comes back',
  removed: 'is deleted',
  same: 'stays as it is',
};

function Diff({ file }: { file: ComparedFile }) {
  if (file.binary) return <p class="muted small">A binary file: no text to compare.</p>;
  const patch = structuredPatch(file.path, file.path, file.current ?? '', file.version ?? '', 'now', 'version', {
    context: 3,
  });
  return (
    <pre class="diff" aria-label={`Changes to ${file.path}`}>
      {patch.hunks.map((h, i) => (
        <div key={i}>
          <div class="diff-hunk">
            @@ −{h.oldStart},{h.oldLines} +{h.newStart},{h.newLines} @@
          </div>
          {h.lines.map((line, j) => (
            <div key={j} class={line[0] === '+' ? 'diff-add' : line[0] === '-' ? 'diff-del' : 'diff-same'}>
              {line === '\\ No newline at end of file' ? <span class="muted">{line}</span> : line}
            </div>
          ))}
        </div>
      ))}
    </pre>
  );
}

export function VersionCompare(props: {
  projectId: string;
  versionId: string;
  label: string; // how the version is named to the reader
  onRestore: () => void;
  onClose: () => void;
}) {
  const [files, setFiles] = useState<ComparedFile[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    api
      .compareVersion(props.projectId, props.versionId)
      .then((r) => live && setFiles(r.files))
      .catch((e) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [props.projectId, props.versionId]);

  const touched = files?.filter((f) => f.status !== 'same') ?? [];
  return (
    <section class="compare" aria-label={`Compare ${props.label} with the current code`}>
      <div class="row wrap">
        <h3 class="grow">Restore {props.label}?</h3>
        <button class="primary small" disabled={!files || !touched.length} onClick={props.onRestore}>
          Restore this version
        </button>
        <button class="small" onClick={props.onClose}>
          Back to the history
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {!files && !error && <p class="muted">Comparing…</p>}
      {files && !touched.length && <p class="muted">The current code is the same as this version: nothing to restore.</p>}
      {files && touched.length > 0 && (
        <p class="muted small">
          Red lines go, green lines come back. Code you have run stays in the history; edits made since your
          last run are replaced.
        </p>
      )}
      {touched.map((f) => (
        <details key={f.path} open class={'compare-file ' + f.status}>
          <summary>
            <code>{f.path}</code> <span class={'badge ' + f.status}>{VERB[f.status]}</span>
          </summary>
          <Diff file={f} />
        </details>
      ))}
    </section>
  );
}
