// The user's projects (list, create, delete) and the gallery of public projects.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, GalleryQuery, Project, Runtime } from '../api';
import { useSession } from '../app';
import { linkHandler, navigate, useTitle } from '../router';
import { examplesFor } from '../templates';
import { ErrorText } from '../components/forms';

// A runtime's name with its version, said once: "Python 3.11" for version 3.11.2 or
// "C (GCC 12)" for 12.2.0 already name it (the full version is in the details under the
// picker); "JavaScript (Node.js)" gets it added: "JavaScript (Node.js) 18.13.0".
export function nameHasVersion(name: string, version: string): boolean {
  if (!version) return true;
  return (name.match(/\d+(?:\.\d+)*/g) ?? []).some((n) => version === n || version.startsWith(n + '.'));
}

export function runtimeLabel(rt: Runtime): string {
  const base = nameHasVersion(rt.name, rt.version) ? rt.name : `${rt.name} ${rt.version}`;
  return rt.available ? base : `${base} — unavailable`;
}

// The runtime a new project starts with: Python (the newest offered), else the first
// available in the catalog's order.
export function defaultRuntime(runtimes: Runtime[]): Runtime | undefined {
  const available = runtimes.filter((r) => r.available);
  const newest = (a: Runtime, b: Runtime) => b.version.localeCompare(a.version, undefined, { numeric: true });
  return available.filter((r) => r.language === 'python').sort(newest)[0] ?? available[0] ?? runtimes[0];
}

// A runtime <select>: each option shows the name and version; the details under it.
export function RuntimePicker(props: {
  value: string;
  onChange: (id: string) => void;
  id?: string;
  disabled?: boolean;
}) {
  const { runtimes } = useSession();
  const rt = runtimes.find((r) => r.id === props.value);
  return (
    <div class="runtime-picker">
      <select
        id={props.id}
        aria-label="Runtime"
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {!rt && <option value={props.value}>{props.value || 'Choose a runtime'}</option>}
        {runtimes.map((r) => (
          <option value={r.id} key={r.id} disabled={!r.available && r.id !== props.value}>
            {runtimeLabel(r)}
          </option>
        ))}
      </select>
      {rt && (
        <p class="runtime-detail" data-testid="runtime-detail">
          <strong>{rt.language}</strong> {rt.version} · {rt.os} · {rt.arch}
          <br />
          <span class="muted">{rt.description}</span>
          {!rt.available && <span class="error"> Unavailable here: {rt.problem}</span>}
        </p>
      )}
    </div>
  );
}

export function ProjectsPage() {
  const { runtimes, notify } = useSession();
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [name, setName] = useState('');
  const [runtime, setRuntime] = useState('');
  const [example, setExample] = useState('hello');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useTitle('Your projects');
  const chosen = runtimes.find((r) => r.id === runtime);
  const examples = chosen?.main_file ? examplesFor(chosen.language, chosen.main_file) : [];

  const load = () =>
    api
      .projects()
      .then(setProjects)
      .catch((e) => setError(errorText(e)));
  useEffect(() => {
    load();
  }, []);
  useEffect(() => {
    if (!runtime && runtimes.length) setRuntime(defaultRuntime(runtimes)!.id);
  }, [runtimes]);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const p = await api.createProject(name.trim(), runtime);
      const start = examples.find((x) => x.id === example) ?? examples[0];
      for (const [path, content] of Object.entries(start?.files ?? {})) await api.writeFile(p.id, path, content);
      navigate(`/p/${p.id}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (p: Project) => {
    if (!confirm(`Delete the project "${p.name}" with all its files and runs? This cannot be undone.`)) return;
    try {
      await api.deleteProject(p.id);
      notify(`Deleted ${p.name}`, 'info');
      load();
    } catch (err) {
      notify(errorText(err));
    }
  };

  return (
    <section class="page">
      <h1>Your projects</h1>
      <form class="card create-project" onSubmit={create} aria-label="New project">
        <h2>New project</h2>
        <div class="row wrap">
          <label class="grow">
            Name
            <input
              name="project-name"
              value={name}
              maxLength={100}
              onInput={(e) => setName(e.currentTarget.value)}
              required
              placeholder="my-program"
            />
          </label>
          <label class="grow">
            Runtime
            <RuntimePicker value={runtime} onChange={setRuntime} />
          </label>
          <label>
            Start from
            <select value={examples.some((x) => x.id === example) ? example : 'hello'} onChange={(e) => setExample(e.currentTarget.value)}>
              {examples.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.title}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorText text={error} />
        <button type="submit" class="primary" disabled={busy || !name.trim() || !runtime}>
          Create project
        </button>
      </form>
      {projects === null ? (
        <p class="loading">Loading…</p>
      ) : projects.length === 0 ? (
        <p class="muted">No projects yet: make one above, or fork one from the gallery.</p>
      ) : (
        <ul class="project-list" aria-label="Projects">
          {projects.map((p) => (
            <li key={p.id} class="card project">
              <a href={`/p/${p.id}`} onClick={linkHandler} class="project-name">
                {p.name}
              </a>
              <span class="badge">{p.runtime}</span>
              <span class={'badge ' + p.visibility}>{p.visibility}</span>
              <span class="muted small">updated {new Date(p.updated_at).toLocaleString()}</span>
              <span class="muted small">{runCountText(p.run_count)}</span>
              <ForkedFrom project={p} />
              <div class="spacer" />
              <button class="danger small" aria-label={`Delete ${p.name}`} onClick={() => remove(p)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// "forked from X by Y", linked when the original may be read.
export function ForkedFrom({ project }: { project: Project }) {
  if (!project.forked_from) return null;
  return (
    <span class="muted small forked-from" data-testid="forked-from">
      forked from{' '}
      {project.forked_from_name ? (
        <>
          <a href={`/p/${project.forked_from}`} onClick={linkHandler}>
            {project.forked_from_name}
          </a>
          {project.forked_from_owner && ` by ${project.forked_from_owner}`}
        </>
      ) : (
        'a project that is gone or private now'
      )}
    </span>
  );
}

export function runCountText(n: number): string {
  return n === 1 ? '1 run' : `${n.toLocaleString()} runs`;
}

const SORTS: { value: NonNullable<GalleryQuery['sort']>; label: string }[] = [
  { value: 'updated', label: 'Recently updated' },
  { value: 'newest', label: 'Newest' },
  { value: 'runs', label: 'Most run' },
  { value: 'name', label: 'Name' },
];

export function GalleryPage() {
  const { user, notify, runtimes } = useSession();
  const [page, setPage] = useState(1);
  const [data, setData] = useState<{ projects: Project[]; next: number | null } | null>(null);
  const [error, setError] = useState('');
  const [search, setSearch] = useState('');
  const [q, setQ] = useState(''); // the search sent: the typed text after a pause
  const [language, setLanguage] = useState('');
  const [sort, setSort] = useState<NonNullable<GalleryQuery['sort']>>('updated');
  useTitle('Gallery');
  const languages = [...new Set(runtimes.map((r) => r.language))].sort();
  const languageOf = (runtimeId: string) => runtimes.find((r) => r.id === runtimeId)?.name ?? runtimeId;
  useEffect(() => {
    const t = window.setTimeout(() => setQ(search.trim()), 250);
    return () => window.clearTimeout(t);
  }, [search]);
  useEffect(() => setPage(1), [q, language, sort]);
  useEffect(() => {
    let current = true;
    api
      .gallery(page, { q, language, sort: sort === 'updated' ? '' : sort })
      .then((d) => current && (setData(d), setError('')))
      .catch((e) => current && setError(errorText(e)));
    return () => {
      current = false;
    };
  }, [page, q, language, sort]);

  const fork = async (p: Project) => {
    try {
      const copy = await api.fork(p.id);
      notify(`Forked ${p.name}`, 'info');
      navigate(`/p/${copy.id}`);
    } catch (e) {
      notify(errorText(e));
    }
  };
  const filtered = q !== '' || language !== '';

  return (
    <section class="page">
      <h1>Gallery</h1>
      <p class="muted">Public projects of everyone on this server. Open one to read and run it, or fork it to change it.</p>
      <form class="row wrap gallery-filters" role="search" aria-label="Gallery filters" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          class="grow"
          aria-label="Search the gallery"
          placeholder="Search names and descriptions"
          value={search}
          maxLength={100}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <select aria-label="Language" value={language} onChange={(e) => setLanguage(e.currentTarget.value)}>
          <option value="">All languages</option>
          {languages.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <select aria-label="Sort by" value={sort} onChange={(e) => setSort(e.currentTarget.value as typeof sort)}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </form>
      <ErrorText text={error} />
      {data === null ? (
        <p class="loading">Loading…</p>
      ) : data.projects.length === 0 ? (
        <p class="muted">{filtered ? 'No public project matches.' : 'Nobody has shared a project yet.'}</p>
      ) : (
        <ul class="project-list gallery" aria-label="Public projects">
          {data.projects.map((p) => (
            <li key={p.id} class="card project" data-project={p.name}>
              <div class="project-main">
                <div class="row wrap project-head">
                  <a href={`/p/${p.id}`} onClick={linkHandler} class="project-name">
                    {p.name}
                  </a>
                  <span class="badge" title={p.runtime}>
                    {languageOf(p.runtime)}
                  </span>
                  <span class="muted small">by {p.owner}</span>
                  <span class="muted small run-count" data-testid="run-count">
                    {runCountText(p.run_count)}
                  </span>
                  <ForkedFrom project={p} />
                </div>
                {p.description && <p class="description small">{p.description}</p>}
              </div>
              {user && (
                <button class="small" onClick={() => fork(p)} aria-label={`Fork ${p.name}`}>
                  Fork
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div class="row">
        <button disabled={page <= 1} onClick={() => setPage(page - 1)}>
          ← Previous
        </button>
        <span class="muted">page {page}</span>
        <button disabled={!data?.next} onClick={() => setPage(page + 1)}>
          Next →
        </button>
      </div>
    </section>
  );
}
