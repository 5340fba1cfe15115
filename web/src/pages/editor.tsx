// The editor: file tree, tabs, CodeMirror, Run/Stop, the live console, run history,
// environment variables, visibility and the runtime's help.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  errorText,
  Faq,
  formatBytes,
  formatMs,
  isFinal,
  LogEntry,
  Project,
  Run,
  RunLimits,
  RunStatus,
} from '../api';
import { useSession } from '../app';
import { CodeEditor, languageName } from '../components/code_editor';
import { Console, ConsoleModel, LogSource } from '../components/console';
import { NO_RUN_SETTINGS, RunOptionsForm, runOptionsFrom, RunSettings, runSettingsProblem } from '../components/run_options';
import { ARCHIVE_NAME, FileTree } from '../components/file_tree';
import { VersionCompare } from '../components/version_compare';
import { linkHandler, navigate, useTitle } from '../router';
import { RuntimePicker, runtimeLabel } from './projects';
import { ErrorText } from '../components/forms';
import { useWorkspace, WorkspaceBar, WorkspacePreview, WorkspaceTerminal } from '../components/workspace_panel';
import { SplitHandle } from '../components/split_handle';
import { ShareButton } from '../components/share';

type SaveState = 'saved' | 'saving' | 'unsaved' | 'error';
type Panel = 'console' | 'terminal' | 'preview' | 'history' | 'env' | 'help';

const STATUS_TEXT: Record<RunStatus, string> = {
  queued: 'Queued',
  building: 'Building…',
  running: 'Running…',
  ok: 'Finished',
  runtime_error: 'Runtime error',
  compile_error: 'Compile error',
  time_limit: 'Time limit exceeded',
  memory_limit: 'Memory limit exceeded',
  output_limit: 'Output limit exceeded',
  cancelled: 'Cancelled',
  internal_error: 'Internal error',
};

export function statusText(r: Pick<Run, 'status' | 'exit_code' | 'signal' | 'reason'>): string {
  let t = STATUS_TEXT[r.status] ?? r.status;
  if (r.status === 'ok' || r.status === 'runtime_error') {
    if (r.exit_code !== null && r.exit_code !== undefined) t += ` (exit code ${r.exit_code})`;
    else if (r.signal) t += ` (signal ${r.signal})`;
  }
  if (r.status === 'cancelled' && r.reason) t += ` (${r.reason.replace(/_/g, ' ')})`;
  return t;
}

function stepUsage(r: { cpu_time_ms: number; wall_time_ms: number; memory_peak_bytes: number }): string {
  return `CPU ${formatMs(r.cpu_time_ms)} · wall ${formatMs(r.wall_time_ms)} · memory ${formatBytes(r.memory_peak_bytes)}`;
}

// What a run used: the build step's time (and, when the build failed, its usage: the
// program never ran), then the program's.
export function usageText(r: Run): string {
  const build = r.build;
  if (build && r.status === 'compile_error') return `build: ${stepUsage(build)}`;
  if (build && build.status !== 'queued' && build.status !== 'building')
    return `build ${formatMs(build.wall_time_ms)} · run: ${stepUsage(r)}`;
  if (r.status === 'cancelled' && !r.started_at) return 'never started';
  return stepUsage(r);
}

const shortId = (id: string | null) => (id ? id.slice(0, 8) : '—');

const logSource = (r: Run): LogSource => ({ name: `run-${r.id}`, page: (after, limit) => api.logs(r.id, after, limit) });

// Saves still being written when an editor closed (a link followed within the autosave
// delay), by project: the next editor of the project waits for them before it reads.
const closingSaves = new Map<string, Promise<void>>();

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export function EditorPage({ id }: { id: string }) {
  const { user, runtimes, notify } = useSession();
  const [project, setProject] = useState<Project | null>(null);
  const [loadError, setLoadError] = useState('');
  const [paths, setPaths] = useState<string[]>([]);
  const [folders, setFolders] = useState<string[]>([]);
  const [tabs, setTabs] = useState<string[]>([]);
  const [active, setActive] = useState('');
  const [generation, setGeneration] = useState(0);
  const [comparing, setComparing] = useState<string | null>(null); // a version shown beside the current code
  const [, setReadCount] = useState(0);
  const [saveState, setSaveState] = useState<SaveState>('saved');
  const [saveError, setSaveError] = useState('');
  const [dirtyPaths, setDirtyPaths] = useState(new Set<string>());
  const [panel, setPanel] = useState<Panel>('console');
  const [run, setRun] = useState<Run | null>(null);
  const [status, setStatus] = useState<RunStatus | null>(null);
  const [history, setHistory] = useState<Run[]>([]);
  const [viewing, setViewing] = useState<string | null>(null); // a past run shown in the console
  const [stdinLine, setStdinLine] = useState('');
  const [startInput, setStartInput] = useState('');
  const [showInput, setShowInput] = useState(false);
  const [globalFaq, setGlobalFaq] = useState<Faq[]>([]);
  const [hasLog, setHasLog] = useState(false); // the console shows a run whose log can be downloaded
  const [runSettings, setRunSettings] = useState<RunSettings>(NO_RUN_SETTINGS);
  const [runLimits, setRunLimits] = useState<RunLimits | null>(null);
  const [showOptions, setShowOptions] = useState(false);

  const contents = useRef(new Map<string, string>()); // loaded file texts (the editor's, when dirty)
  const dirty = useRef(new Set<string>());
  const saveTimer = useRef(0);
  const saving = useRef<Promise<void> | null>(null);
  const consoleModel = useRef<ConsoleModel | null>(null);
  const events = useRef(new Map<string, EventSource>());
  const socket = useRef<WebSocket | null>(null);
  const currentRun = useRef<string | null>(null);
  const stdinInput = useRef<HTMLInputElement>(null);
  const side = useRef<HTMLElement>(null);
  const focusStdin = useRef(false); // a run just started: its input field takes the focus
  const consoleReady = useRef(deferred<ConsoleModel>());

  const owner = !!(project && user && project.owner === user.username);
  const readOnly = !owner;
  // Viewers of a public project run it read-only, in their own name (the server says).
  const canRun = owner || !!project?.can_run;
  const runtime = runtimes.find((r) => r.id === project?.runtime);
  useTitle(project?.name ?? (loadError ? 'Cannot open the project' : 'Project'));

  // Loading.
  const loadFiles = useCallback(async (keepTabs: boolean) => {
    const list = await api.files(id);
    const ps = list.map((f) => f.path);
    contents.current.clear();
    dirty.current.clear();
    setDirtyPaths(new Set());
    setPaths(ps);
    setGeneration((g) => g + 1);
    // (A first load leaves the tabs to its caller, which opens the main file.)
    if (keepTabs) setTabs((old) => old.filter((t) => ps.includes(t)));
    setActive((old) => (keepTabs && ps.includes(old) ? old : ''));
    return ps;
  }, [id]);

  const loadHistory = useCallback(async () => {
    try {
      setHistory(await api.runs(id));
    } catch {
      /* not the owner, or gone: no history to show */
    }
  }, [id]);

  useEffect(() => {
    (async () => {
      try {
        await closingSaves.get(id);
        const p = await api.project(id);
        // The main file is the runtime's: on a direct link the catalog may still be loading.
        const catalog = runtimes.length ? runtimes : await api.runtimes().catch(() => []);
        setProject(p);
        const ps = await loadFiles(false);
        const main = catalog.find((r) => r.id === p.runtime)?.main_file;
        const first = main && ps.includes(main) ? main : ps[0];
        if (first) {
          setTabs([first]);
          await openFile(first);
        }
        if (user && p.owner === user.username) {
          // The console shows the last run again: still going (followed live) or its log.
          const runs = await api.runs(id).catch(() => [] as Run[]);
          setHistory(runs);
          if (runs[0] && !currentRun.current) showRun(runs[0]);
        }
      } catch (e) {
        setLoadError(
          e instanceof ApiError && e.status === 404
            ? 'There is no such project, or it is private.'
            : e instanceof ApiError && e.status === 401
              ? 'This project is private: log in to open it.'
              : errorText(e),
        );
      }
    })();
    api.faq().then(setGlobalFaq).catch(() => {});
    return () => {
      for (const es of events.current.values()) es.close();
      socket.current?.close();
      // Leaving within the autosave delay (a link, the back button) still saves.
      if (dirty.current.size || saving.current) {
        const flush = saveNowRef.current().catch(() => {});
        closingSaves.set(id, flush);
        flush.then(() => closingSaves.get(id) === flush && closingSaves.delete(id));
      }
      window.clearTimeout(saveTimer.current);
    };
  }, [id]);

  useEffect(() => {
    if (owner) loadHistory();
  }, [owner]);
  // The limits a run gets and may ask for, for the run options.
  useEffect(() => {
    if (!canRun) return;
    api.runLimits(id).then(setRunLimits).catch(() => setRunLimits(null));
  }, [id, canRun]);
  const canRunRef = useRef(canRun);
  canRunRef.current = canRun;
  const runSettingsRef = useRef(runSettings);
  runSettingsRef.current = runSettings;
  const runLimitsRef = useRef(runLimits);
  runLimitsRef.current = runLimits;

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (dirty.current.size) {
        e.preventDefault();
        e.returnValue = '';
      }
    };
    // A hidden tab (switched away, phone locked, closing) saves at once.
    const hide = () => {
      if (document.visibilityState === 'hidden' && dirty.current.size) saveNowRef.current().catch(() => {});
    };
    window.addEventListener('beforeunload', warn);
    document.addEventListener('visibilitychange', hide);
    return () => {
      window.removeEventListener('beforeunload', warn);
      document.removeEventListener('visibilitychange', hide);
    };
  }, []);

  // A file at a line (from a mention in the console): opened, the cursor there.
  const [spot, setSpot] = useState<{ path: string; line: number; col?: number; n: number } | null>(null);
  const pathsRef = useRef<string[]>([]);
  pathsRef.current = paths;
  const openAt = async (path: string, line: number, col?: number) => {
    await openFile(path);
    if (opening.current === path) setSpot({ path, line, col, n: Date.now() });
  };

  // The file asked for last wins: a slower read of one clicked before does not take over.
  const opening = useRef('');
  const openFile = async (path: string) => {
    opening.current = path;
    if (!contents.current.has(path)) {
      try {
        const text = await api.readFile(id, path);
        if (!contents.current.has(path)) contents.current.set(path, text);
      } catch (e) {
        notify(`Could not open ${path}: ${errorText(e)}`);
        return;
      }
    }
    if (opening.current !== path) return;
    setTabs((t) => (t.includes(path) ? t : [...t, path]));
    setActive(path);
    setReadCount((n) => n + 1); // the file may have been active already, its text not yet read
  };

  // Saving: every change is written shortly after typing stops, and before a run.
  // One save at a time: a caller waits for the save under way, then writes what is still
  // dirty, so that when it returns every change made before the call is on the server.
  const saveNow = useCallback(async (): Promise<void> => {
    window.clearTimeout(saveTimer.current);
    while (saving.current) await saving.current;
    if (!dirty.current.size) return;
    const work = (async () => {
      setSaveState('saving');
      try {
        for (const path of [...dirty.current]) {
          const text = contents.current.get(path) ?? '';
          dirty.current.delete(path);
          try {
            await api.writeFile(id, path, text);
            writeThrough.current(path, text); // a live workspace gets the saved text too
          } catch (e) {
            dirty.current.add(path);
            throw e;
          }
        }
        setSaveState(dirty.current.size ? 'unsaved' : 'saved');
        setSaveError('');
      } catch (e) {
        setSaveState('error');
        setSaveError(errorText(e));
        throw e;
      } finally {
        setDirtyPaths(new Set(dirty.current));
      }
    })();
    const settled = work.catch(() => {});
    saving.current = settled;
    try {
      await work;
    } finally {
      if (saving.current === settled) saving.current = null;
    }
  }, [id]);
  const saveNowRef = useRef(saveNow);
  const workspace = useWorkspace(id, owner, { beforeSync: () => saveNow(), afterSync: () => reopen(), notify });
  const writeThrough = useRef(workspace.writeThrough);
  saveNowRef.current = saveNow;

  const onChange = useCallback((path: string, text: string) => {
    contents.current.set(path, text);
    dirty.current.add(path);
    setDirtyPaths(new Set(dirty.current));
    setSaveState('unsaved');
    window.clearTimeout(saveTimer.current);
    saveTimer.current = window.setTimeout(() => saveNow().catch(() => {}), 700);
  }, [saveNow]);

  // Runs.
  const watch = (runId: string, onEnd: (r: Run) => void) => {
    const es = new EventSource(`/api/v1/runs/${runId}/events`);
    events.current.set(runId, es);
    es.addEventListener('status', (ev) => {
      const s = JSON.parse((ev as MessageEvent).data).status as RunStatus;
      if (currentRun.current === runId) setStatus(s);
    });
    es.addEventListener('log', (ev) => {
      const e = JSON.parse((ev as MessageEvent).data) as LogEntry;
      if (currentRun.current === runId && !viewingRef.current) consoleModel.current?.append(e.stream, e.text, e.seq);
    });
    es.addEventListener('partial', (ev) => {
      const p = JSON.parse((ev as MessageEvent).data) as { stream: 'stdout' | 'stderr'; text: string };
      if (currentRun.current === runId && !viewingRef.current) consoleModel.current?.setPartial(p.stream, p.text);
    });
    es.addEventListener('end', (ev) => {
      es.close();
      events.current.delete(runId);
      const r = JSON.parse((ev as MessageEvent).data) as Run;
      onEnd(r);
    });
    es.onerror = () => {
      // The browser reconnects by itself (Last-Event-ID resumes); a closed stream means
      // the server refused it: read the run once instead.
      if (es.readyState === EventSource.CLOSED) {
        events.current.delete(runId);
        api.run(runId).then((r) => isFinal(r.status) && onEnd(r)).catch(() => {});
      }
    };
  };
  const viewingRef = useRef<string | null>(null); // set with `viewing`, read by handlers
  // A run being replaced by one this page starts (see startRun).
  const superseding = useRef<{ old: string; by: string | null; end: Run | null } | null>(null);

  const attach = (runId: string, initialInput: string) => {
    socket.current?.close();
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/runs/${runId}/attach`);
    socket.current = ws;
    ws.onopen = () => {
      if (initialInput) {
        ws.send(JSON.stringify({ stdin: initialInput.endsWith('\n') ? initialInput : initialInput + '\n' }));
        ws.send(JSON.stringify({ eof: true }));
      }
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'error' && currentRun.current === runId) consoleModel.current?.append('error', msg.message);
    };
  };

  // The end of a run in the console: its status, usage and the server's message.
  const endLines = (m: ConsoleModel, end: Run) => {
    const build = end.build && end.build.status !== 'ok' && end.status === 'compile_error' ? ' (build step)' : '';
    m.append(end.status === 'ok' ? 'result' : 'result-error', `■ ${statusText(end)}${build} · ${usageText(end)}`);
    if (end.message && end.status !== 'ok') m.append('error', end.message);
  };

  // A run's stored log into the console, page by page, while `still()` holds.
  const appendLog = async (m: ConsoleModel, r: Run, still: () => boolean) => {
    let after = 0;
    try {
      for (;;) {
        const page = await api.logs(r.id, after, 5000);
        if (!still()) return false;
        for (const e of page.entries) m.append(e.stream, e.text, e.seq);
        after = page.next;
        if (page.done || page.entries.length === 0) break;
      }
    } catch (e) {
      if (!still()) return false;
      m.append('error', errorText(e));
    }
    return true;
  };

  // Makes r the console's run: followed live (its output, its end) while it goes.
  const followRun = (r: Run, m: ConsoleModel, header: string) => {
    currentRun.current = r.id;
    viewingRef.current = null;
    setViewing(null);
    setRun(r);
    setStatus(r.status);
    m.clear();
    m.setSource(logSource(r));
    m.append('notice', header);
    watch(r.id, (end) => {
      const s = superseding.current;
      if (s && s.old === end.id) {
        // Replaced by a run this page started: said under the new run, once it is shown.
        if (s.by === null) s.end = end;
        else {
          superseding.current = null;
          supersededNotice(s.by, end);
        }
      } else if (currentRun.current === end.id) endOfCurrent(m, end);
      loadHistory();
    });
  };
  const endOfCurrent = (m: ConsoleModel, end: Run) => {
    setRun(end);
    setStatus(end.status);
    if (!viewingRef.current) endLines(m, end);
    socket.current?.close();
  };
  const supersededNotice = (by: string, old: Run) => {
    if (currentRun.current === by)
      consoleModel.current?.append('notice', `■ the previous run ${shortId(old.id)} ended: ${statusText(old)}`);
  };

  // The last run when the page opens: followed if it still goes, else its log and end.
  const showRun = async (r: Run) => {
    const m = await consoleReady.current.promise;
    if (currentRun.current) return; // a run started meanwhile
    const header = `${isFinal(r.status) ? 'Last run' : 'Run'} ${shortId(r.id)} of ${new Date(r.created_at).toLocaleString()} · version ${shortId(r.version_id)}`;
    if (!isFinal(r.status)) {
      followRun(r, m, header);
      attach(r.id, '');
      return;
    }
    currentRun.current = r.id;
    setRun(r);
    setStatus(r.status);
    m.clear();
    m.setSource(logSource(r));
    m.append('notice', header);
    if (await appendLog(m, r, () => currentRun.current === r.id && !viewingRef.current)) endLines(m, r);
  };

  const startRun = async () => {
    if (!canRunRef.current) return;
    if (!readOnly) {
      try {
        await saveNow();
      } catch {
        notify('The run did not start: the files could not be saved (' + saveError + ')');
        return;
      }
    }
    const problem = runSettingsProblem(runSettingsRef.current, runLimitsRef.current?.max);
    if (problem) {
      setShowOptions(true);
      notify('The run did not start: ' + problem);
      return;
    }
    const previous = currentRun.current && status && !isFinal(status) ? currentRun.current : null;
    // The server cancels the older run of this project as it accepts the new one, and that
    // run's end can arrive before the answer to the POST: it must not end the new run's
    // console, and it is told there once the new run shows.
    superseding.current = previous ? { old: previous, by: null, end: null } : null;
    let r: Run;
    try {
      r = await api.startRun(id, { interactive: true, ...runOptionsFrom(runSettingsRef.current) });
    } catch (e) {
      const s = superseding.current;
      superseding.current = null;
      if (s?.end && consoleModel.current && currentRun.current === s.old) endOfCurrent(consoleModel.current, s.end);
      notify(errorText(e));
      return;
    }
    const m = consoleModel.current;
    if (!m) return;
    setPanel('console');
    followRun(r, m, `▶ run ${shortId(r.id)} · ${r.runtime}` + (r.version_id ? ` · version ${shortId(r.version_id)}` : ` · ${project?.name ?? ""} as it is now`));
    // What is typed next is for the program (unless its input was given up front).
    focusStdin.current = !(showInput && startInput);
    attach(r.id, showInput ? startInput : '');
    const s = superseding.current;
    if (s && s.old === previous) {
      if (s.end) {
        superseding.current = null;
        supersededNotice(r.id, s.end);
      } else s.by = r.id; // said when its end arrives
    }
    loadHistory();
  };

  const stopRun = async () => {
    const runId = currentRun.current;
    if (!runId) return;
    try {
      await api.stop(runId);
    } catch (e) {
      notify(errorText(e));
    }
  };

  const sendLine = () => {
    const ws = socket.current;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      notify('No running program to send input to.');
      return;
    }
    ws.send(JSON.stringify({ stdin: stdinLine + '\n' }));
    consoleModel.current?.append('notice', `› ${stdinLine}`);
    setStdinLine('');
  };
  const sendEof = () => {
    const ws = socket.current;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ eof: true }));
  };

  const showPastRun = async (r: Run) => {
    viewingRef.current = r.id;
    setViewing(r.id);
    setPanel('console');
    const m = consoleModel.current;
    if (!m) return;
    m.clear();
    m.setSource(logSource(r));
    m.append('notice', `Run ${shortId(r.id)} of ${new Date(r.created_at).toLocaleString()} · version ${shortId(r.version_id)}`);
    if (await appendLog(m, r, () => viewingRef.current === r.id)) endLines(m, r);
  };

  // Back from a past run to the current one: its log again (a live run goes on from
  // here; its earlier lines page back in).
  const backToCurrent = async () => {
    viewingRef.current = null;
    setViewing(null);
    const m = consoleModel.current;
    const cur = currentRun.current;
    if (!m) return;
    m.clear();
    if (!cur) return;
    const r = await api.run(cur).catch(() => null);
    if (!r || currentRun.current !== cur || viewingRef.current) return;
    m.setSource(logSource(r));
    m.append('notice', `Run ${shortId(r.id)} of ${new Date(r.created_at).toLocaleString()} · version ${shortId(r.version_id)}`);
    if (isFinal(r.status) && (await appendLog(m, r, () => currentRun.current === cur && !viewingRef.current))) endLines(m, r);
  };

  const restoreVersion = async (vid: string) => {
    setComparing(null);
    try {
      await saveNow().catch(() => {});
      await api.restore(id, vid);
      await reopen();
      notify(`Restored version ${shortId(vid)}`, 'info');
    } catch (e) {
      notify(errorText(e));
    }
  };

  // Files.
  const createPath = async (path: string, folder: boolean) => {
    if (folder) {
      setFolders((f) => [...f, path]);
      return;
    }
    if (paths.includes(path)) {
      openFile(path);
      return;
    }
    try {
      await api.writeFile(id, path, '');
      contents.current.set(path, '');
      opening.current = path;
      setPaths((p) => (p.includes(path) ? p : [...p, path]));
      setFolders((f) => f.filter((x) => !path.startsWith(x + '/')));
      setTabs((t) => (t.includes(path) ? t : [...t, path]));
      setActive(path);
    } catch (e) {
      notify(errorText(e));
    }
  };

  // Uploads: plain files into `folder`, archives unpacked by the server; then the files
  // are read again (what is typed is saved first).
  const uploadFiles = async (chosen: File[], folder: string) => {
    try {
      await saveNow();
      let count = 0;
      for (const f of chosen) {
        if (ARCHIVE_NAME.test(f.name)) {
          const r = await api.importArchive(id, f);
          count += r.files.length;
        } else {
          await api.writeFile(id, folder ? `${folder}/${f.name}` : f.name, f);
          count += 1;
        }
      }
      await reopen();
      notify(`Uploaded ${count} file${count === 1 ? '' : 's'}`, 'info');
    } catch (e) {
      notify(errorText(e));
      await reopen().catch(() => {});
    }
  };
  // Files read again from the server, the open file shown again (or the first).
  const reopen = async () => {
    const ps = await loadFiles(true);
    const path = ps.includes(active) ? active : ps[0];
    if (path) await openFile(path);
  };

  const renamePath = async (from: string, to: string) => {
    try {
      await saveNow();
      const isFolder = !paths.includes(from);
      const moved = (p: string) => (p === from ? to : p.startsWith(from + '/') ? to + p.slice(from.length) : p);
      if (isFolder && !paths.some((p) => p.startsWith(from + '/'))) {
        setFolders((f) => f.map(moved));
        return;
      }
      await api.renameFile(id, from, to);
      const texts = new Map<string, string>();
      for (const [k, v] of contents.current) texts.set(moved(k), v);
      contents.current = texts;
      setPaths((p) => p.map(moved));
      setFolders((f) => f.map(moved));
      setTabs((t) => t.map(moved));
      setActive((a) => moved(a));
      setGeneration((g) => g + 1);
    } catch (e) {
      notify(errorText(e));
    }
  };

  const deletePath = async (path: string, folder: boolean) => {
    const victims = folder ? paths.filter((p) => p.startsWith(path + '/')) : [path];
    const what = folder ? `the folder ${path} and its ${victims.length} file(s)` : path;
    if (!confirm(`Delete ${what}?`)) return;
    try {
      for (const p of victims) {
        await api.deleteFile(id, p);
        contents.current.delete(p);
        dirty.current.delete(p);
      }
      setDirtyPaths(new Set(dirty.current));
      setPaths((ps) => ps.filter((p) => !victims.includes(p)));
      setFolders((f) => f.filter((x) => x !== path && !x.startsWith(path + '/')));
      const tabsLeft = tabs.filter((t) => !victims.includes(t));
      setTabs(tabsLeft);
      if (victims.includes(active)) setActive(tabsLeft[0] ?? '');
    } catch (e) {
      notify(errorText(e));
    }
  };

  const closeTab = (path: string) => {
    const left = tabs.filter((t) => t !== path);
    setTabs(left);
    if (active === path) setActive(left[left.length - 1] ?? '');
  };

  useEffect(() => {
    if (!active && tabs.length) openFile(tabs[0]);
  }, [active, tabs]);

  // Project settings.
  const patch = async (p: Partial<Pick<Project, 'name' | 'runtime' | 'visibility' | 'env' | 'description'>>) => {
    try {
      setProject(await api.updateProject(id, p));
      return true;
    } catch (e) {
      notify(errorText(e));
      return false;
    }
  };

  const fork = async () => {
    if (!user) {
      navigate('/login');
      return;
    }
    try {
      const copy = await api.fork(id);
      notify('Forked: this copy is yours', 'info');
      navigate(`/p/${copy.id}`);
    } catch (e) {
      notify(errorText(e));
    }
  };

  // Ctrl/Cmd+Enter runs from anywhere on the page.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && !(e.target as HTMLElement).closest?.('.cm-editor')) {
        e.preventDefault();
        startRunRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const startRunRef = useRef(startRun);
  startRunRef.current = startRun;

  // A run just started: the program's input field takes the focus (so an answer typed for
  // the program does not land in the file), and on a narrow screen, where the console is
  // under the editor, the console scrolls into view.
  const running = !!status && !isFinal(status);
  useEffect(() => {
    if (!focusStdin.current || !running) return;
    focusStdin.current = false;
    stdinInput.current?.focus({ preventScroll: true });
    const box = side.current?.getBoundingClientRect();
    if (box && (box.top < 0 || box.top > window.innerHeight / 2)) side.current!.scrollIntoView({ block: 'start' });
  }, [running, run?.id]);

  if (loadError)
    return (
      <section class="page narrow">
        <h1>Cannot open the project</h1>
        <p class="error" role="alert">
          {loadError}
        </p>
        <a href="/projects" onClick={linkHandler}>
          Back to your projects
        </a>
      </section>
    );
  if (!project) return <p class="loading">Loading…</p>;

  const saveLabel = {
    saved: 'All changes saved',
    saving: 'Saving…',
    unsaved: 'Unsaved changes',
    error: 'Not saved: ' + saveError,
  }[saveState];

  return (
    <div class="ide">
      <div class="ide-bar">
        <ProjectName project={project} editable={owner} onRename={(name) => patch({ name })} />
        {owner ? (
          <RuntimePicker value={project.runtime} onChange={(rt) => patch({ runtime: rt })} />
        ) : (
          <span class="badge">{runtime ? runtimeLabel(runtime) : project.runtime}</span>
        )}
        {(owner || project.visibility !== 'private') && <ShareButton project={project} owner={owner} onChange={patch} />}
        {runtime && !runtime.available && (
          <span class="error small" role="status" data-testid="runtime-unavailable">
            {runtime.name}: {runtime.problem}
          </span>
        )}
        {!owner && (
          <span class="muted">
            by {project.owner} · read-only{canRun && user ? ', runs in your name' : ''}{' '}
            {user ? (
              <button class="small" onClick={fork}>
                Fork to edit
              </button>
            ) : (
              <a href="/login" onClick={linkHandler}>
                Log in to fork it
              </a>
            )}
          </span>
        )}
        <div class="spacer" />
        {owner && <WorkspaceBar w={workspace} onOpen={() => setPanel('terminal')} />}
        {owner && (
          <span class={'save-state ' + saveState} data-testid="save-state" aria-live="polite">
            {saveLabel}
          </span>
        )}
        <span class={'run-status ' + (status ?? 'idle')} data-testid="run-status" data-run={run?.id} aria-live="polite">
          {status ? (run && run.status === status ? statusText(run) : STATUS_TEXT[status]) : 'Ready'}
        </span>
        {canRun && (
          <span class="run-buttons">
            <button class="run" onClick={startRun} aria-label="Run" title="Run (Ctrl+Enter)">
              ▶ Run
            </button>
            <button class="stop" onClick={stopRun} aria-label="Stop" disabled={!running} title="Stop the run">
              ■ Stop
            </button>
          </span>
        )}
      </div>
      <div class="ide-body">
        <aside class="ide-files">
          <FileTree
            paths={paths}
            folders={folders}
            active={active}
            readOnly={readOnly}
            dirty={dirtyPaths}
            onOpen={openFile}
            onCreate={createPath}
            onRename={renamePath}
            onDelete={deletePath}
            onUpload={uploadFiles}
            fileUrl={(path) => api.fileUrl(id, path)}
            zipUrl={api.archiveUrl(id)}
          />
        </aside>
        <section class="ide-editor">
          <div class="tabs" role="tablist" aria-label="Open files">
            {tabs.map((t) => (
              <div key={t} class={'tab' + (t === active ? ' active' : '')} role="tab" aria-selected={t === active}>
                <button class="tab-name" onClick={() => openFile(t)} title={t}>
                  {t.split('/').pop()}
                  {dirtyPaths.has(t) ? ' ●' : ''}
                </button>
                <button class="icon-btn" aria-label={`Close ${t}`} onClick={() => closeTab(t)}>
                  ×
                </button>
              </div>
            ))}
            {active && <span class="lang muted small">{languageName(active)}</span>}
          </div>
          {active && contents.current.has(active) ? (
            <CodeEditor
              goto={spot}
              path={active}
              content={contents.current.get(active) ?? ''}
              generation={generation}
              readOnly={readOnly}
              onChange={onChange}
              onRun={startRun}
            />
          ) : (
            <div class="empty-editor muted">{paths.length ? 'Open a file from the tree.' : 'No files yet: add one with + File.'}</div>
          )}
        </section>
        <section class="ide-side" ref={side}>
          <SplitHandle />
          <div class="tabs" role="tablist" aria-label="Panels">
            {(['console', 'terminal', 'preview', 'history', 'env', 'help'] as Panel[])
              .filter((p) => owner || p === 'console' || p === 'help')
              .map((p) => (
                <button
                  key={p}
                  role="tab"
                  aria-selected={panel === p}
                  class={'tab' + (panel === p ? ' active' : '')}
                  onClick={() => {
                    setPanel(p);
                    if (p === 'history') loadHistory();
                  }}
                >
                  {{ console: 'Console', terminal: 'Terminal', preview: 'Preview', history: 'History', env: 'Environment', help: 'Help' }[p]}
                </button>
              ))}
          </div>
          <div class="panel" hidden={panel !== 'console'}>
            {viewing && (
              <p class="viewing small">
                Showing run {shortId(viewing)} from the history.{' '}
                <button class="link" onClick={backToCurrent}>
                  Back
                </button>
              </p>
            )}
            <Console
              model={(m) => {
                consoleModel.current = m;
                m.links = { files: () => pathsRef.current, open: openAt };
                m.onSourceChange = setHasLog;
                consoleReady.current.resolve(m);
              }}
              label="Program output"
            />
            {canRun && (
              <div class="stdin">
                <form
                  class="row"
                  onSubmit={(e) => {
                    e.preventDefault();
                    sendLine();
                  }}
                >
                  <input
                    ref={stdinInput}
                    aria-label="Program input"
                    placeholder={running ? 'Type a line for the program, Enter sends it' : 'Input for a running program'}
                    value={stdinLine}
                    onInput={(e) => setStdinLine(e.currentTarget.value)}
                    onKeyDown={(e) => {
                      if (e.key === 'd' && e.ctrlKey) {
                        e.preventDefault();
                        sendEof();
                      }
                    }}
                    disabled={!running}
                  />
                  <button type="submit" class="small" disabled={!running}>
                    Send
                  </button>
                  <button type="button" class="small" disabled={!running} onClick={sendEof} title="Close the program's input (Ctrl+D)">
                    EOF
                  </button>
                </form>
                <div class="options">
                  <label class="small">
                    <input type="checkbox" checked={showInput} onChange={(e) => setShowInput(e.currentTarget.checked)} /> Give
                    input when the run starts
                  </label>
                  <button
                    class="link small"
                    aria-expanded={showOptions}
                    onClick={() => setShowOptions(!showOptions)}
                    title="Arguments and limits of the next run"
                  >
                    {showOptions ? '▾' : '▸'} Run options
                  </button>
                  {hasLog && (
                    <button
                      class="link small"
                      aria-label="Download the whole log"
                      title="The run's whole log as a text file"
                      onClick={() => consoleModel.current?.download()}
                    >
                      ⤓ Download the log
                    </button>
                  )}
                </div>
                {showOptions && <RunOptionsForm limits={runLimits} value={runSettings} onChange={setRunSettings} />}
                {showInput && (
                  <textarea
                    aria-label="Input given when the run starts"
                    rows={4}
                    value={startInput}
                    onInput={(e) => setStartInput(e.currentTarget.value)}
                    placeholder="Sent to the program's stdin, then closed"
                  />
                )}
              </div>
            )}
          </div>
          {owner && (
            <div class="panel" hidden={panel !== 'terminal'}>
              <WorkspaceTerminal w={workspace} visible={panel === 'terminal'} />
            </div>
          )}
          {owner && (
            <div class="panel" hidden={panel !== 'preview'}>
              <WorkspacePreview w={workspace} visible={panel === 'preview'} />
            </div>
          )}
          {panel === 'history' && owner && (
            <div class="panel">
              {comparing ? (
                <VersionCompare
                  projectId={id}
                  versionId={comparing}
                  label={`version ${shortId(comparing)}`}
                  onRestore={() => restoreVersion(comparing)}
                  onClose={() => setComparing(null)}
                />
              ) : (
                <HistoryPanel
                  runs={history}
                  onShow={showPastRun}
                  onRestore={async (vid) => {
                    await saveNow().catch(() => {}); // compare with what is typed
                    setComparing(vid);
                  }}
                />
              )}
            </div>
          )}
          {panel === 'env' && owner && (
            <div class="panel">
              <EnvEditor env={project.env ?? {}} onSave={(env) => patch({ env })} />
            </div>
          )}
          {panel === 'help' && (
            <div class="panel help">
              {runtime ? (
                <>
                  <h3>{runtime.name}</h3>
                  <p>
                    Version <strong>{runtime.version}</strong> · {runtime.os} · {runtime.arch}
                  </p>
                  <p>{runtime.description}</p>
                  <p class="muted small">
                    Main file: <code>{runtime.main_file}</code>
                  </p>
                  <FaqList items={runtime.faq} />
                </>
              ) : (
                <p class="muted">The runtime {project.runtime} is not offered on this server any more.</p>
              )}
              <h3>General questions</h3>
              <FaqList items={globalFaq} />
            </div>
          )}
        </section>
      </div>
    </div>
  );
}

function ProjectName(props: { project: Project; editable: boolean; onRename: (name: string) => Promise<boolean> }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(props.project.name);
  if (!props.editable) return <h1 class="project-title">{props.project.name}</h1>;
  if (!editing)
    return (
      <h1 class="project-title">
        <button class="link" title="Rename the project" onClick={() => setEditing(true)}>
          {props.project.name}
        </button>
      </h1>
    );
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        if (await props.onRename(value.trim())) setEditing(false);
      }}
    >
      <input aria-label="Project name" value={value} autoFocus maxLength={100} onInput={(e) => setValue(e.currentTarget.value)} onBlur={() => setEditing(false)} />
    </form>
  );
}

function FaqList({ items }: { items: Faq[] }) {
  if (!items.length) return <p class="muted small">No questions yet.</p>;
  return (
    <div class="faq">
      {items.map((f, i) => (
        <details key={i}>
          <summary>{f.question}</summary>
          <p>{f.answer}</p>
        </details>
      ))}
    </div>
  );
}

function HistoryPanel(props: { runs: Run[]; onShow: (r: Run) => void; onRestore: (vid: string) => void }) {
  if (!props.runs.length) return <p class="muted">No runs yet. Press ▶ Run.</p>;
  return (
    <ul class="history" aria-label="Run history">
      {props.runs.map((r) => (
        <li key={r.id} class="history-row" data-run={r.id}>
          <span class={'pill ' + r.status}>{statusText(r)}</span>
          <span class="muted small">
            {new Date(r.created_at).toLocaleString()} ·{' '}
            {isFinal(r.status) ? (r.build ? `build ${formatMs(r.build.wall_time_ms)} + ` : '') + formatMs(r.wall_time_ms) : '…'} · version{' '}
            {shortId(r.version_id)}
          </span>
          <span class="row">
            <button class="small" onClick={() => props.onShow(r)}>
              Logs
            </button>
            {r.version_id && (
              <button class="small" onClick={() => props.onRestore(r.version_id!)} aria-label={`Restore version ${shortId(r.version_id)}`}>
                Restore code
              </button>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}

function EnvEditor(props: { env: Record<string, string>; onSave: (env: Record<string, string>) => Promise<boolean> }) {
  const [rows, setRows] = useState(() => Object.entries(props.env).map(([k, v]) => ({ k, v })));
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(false);
  const set = (i: number, field: 'k' | 'v', value: string) => {
    setSaved(false);
    setRows(rows.map((r, j) => (j === i ? { ...r, [field]: value } : r)));
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const env: Record<string, string> = {};
    for (const { k, v } of rows) {
      if (!k.trim()) continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k.trim())) {
        setError(`"${k}" is not a valid name (letters, digits and _, not starting with a digit)`);
        return;
      }
      env[k.trim()] = v;
    }
    setError('');
    if (await props.onSave(env)) setSaved(true);
  };
  return (
    <form onSubmit={save} class="env" aria-label="Environment variables">
      <p class="muted small">Given to every run of this project. Only you see the values; forks do not copy them.</p>
      {rows.map((r, i) => (
        <div class="row" key={i}>
          <input aria-label={`Name ${i + 1}`} placeholder="NAME" value={r.k} onInput={(e) => set(i, 'k', e.currentTarget.value)} />
          <input aria-label={`Value ${i + 1}`} placeholder="value" value={r.v} onInput={(e) => set(i, 'v', e.currentTarget.value)} />
          <button type="button" class="icon-btn" aria-label={`Remove ${r.k || 'row'}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <ErrorText text={error} />
      <div class="row">
        <button type="button" class="small" onClick={() => setRows([...rows, { k: '', v: '' }])}>
          Add variable
        </button>
        <button type="submit" class="primary small">
          Save variables
        </button>
        {saved && <span class="muted small">Saved</span>}
      </div>
    </form>
  );
}
