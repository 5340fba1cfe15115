// A project's workspace in the editor (API.md, "Workspaces"): the bar's Workspace
// control (start, time left, extend, sync, stop), the Terminal panel (xterm.js on the
// workspace's PTY, reattached after a dropped connection without losing the shell) and
// the Preview panel (the app on a port of the workspace, on the preview origin, in an
// iframe). The editor holds the state through useWorkspace and places the three parts.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, filePath, request } from '../api';
import { Terminal, TerminalHandle } from './terminal';

export interface Workspace {
  id: string;
  status: string;
  project: string | null;
  runtime: string;
  created_at: string;
  expires_at: string;
  idle_expires_at: string;
  stop_reason?: string;
}

interface SyncResult {
  project?: string;
  version?: string;
  files?: number;
  error?: string;
  message?: string;
}

const wsApi = {
  list: () => request<Workspace[]>('GET', '/workspaces'),
  start: (project: string) => request<Workspace>('POST', '/workspaces', { project }),
  stop: (id: string) => request<Workspace & { sync?: SyncResult }>('DELETE', `/workspaces/${id}`),
  extend: (id: string, ttl_seconds: number) => request<Workspace>('POST', `/workspaces/${id}/extend`, { ttl_seconds }),
  sync: (id: string) => request<SyncResult>('POST', `/workspaces/${id}/sync`),
  preview: (id: string, port: number) =>
    request<{ url: string; expires_at: string }>('POST', `/workspaces/${id}/previews`, { port }),
  writeFile: (id: string, path: string, text: string) =>
    request<unknown>('PUT', `/workspaces/${id}/files/${filePath(path)}`, text),
};

export const EXTEND_SECONDS = 30 * 60;

export interface WorkspaceState {
  ws: Workspace | null;
  busy: '' | 'starting' | 'stopping' | 'syncing' | 'extending';
  error: string;
  ended: string; // why the last workspace ended, when it ended by itself
  start(): Promise<void>;
  stop(): Promise<void>;
  extend(): Promise<void>;
  sync(): Promise<void>;
  // The editor's saved text, written into the live workspace too (errors ignored).
  writeThrough(path: string, text: string): void;
}

export interface WorkspaceOptions {
  beforeSync: () => Promise<void>; // the editor saves what is typed
  afterSync: () => Promise<void>; // the editor reads the project's files again
  notify: (text: string, kind?: 'info' | 'error') => void;
}

// The project's workspace: found on load (one per project), polled while it lives.
export function useWorkspace(projectId: string, enabled: boolean, options: WorkspaceOptions): WorkspaceState {
  const [ws, setWs] = useState<Workspace | null>(null);
  const [busy, setBusy] = useState<WorkspaceState['busy']>('');
  const [error, setError] = useState('');
  const [ended, setEnded] = useState('');
  const wsRef = useRef<Workspace | null>(null);
  wsRef.current = ws;
  const opts = useRef(options);
  opts.current = options;

  useEffect(() => {
    setWs(null);
    if (!enabled) return;
    let live = true;
    wsApi
      .list()
      .then((all) => {
        if (live) setWs(all.find((w) => w.project === projectId && w.status === 'running') ?? null);
      })
      .catch(() => {}); // a server without workspaces: the control says so when used
    return () => {
      live = false;
    };
  }, [projectId, enabled]);

  // While one lives: noticed when it ends by itself (time-to-live, idle). Through the
  // list, which (unlike GET of the one) does not count as use: an open page alone does
  // not keep a workspace from its idle timeout.
  useEffect(() => {
    if (!ws) return;
    const timer = window.setInterval(async () => {
      try {
        const now = (await wsApi.list()).find((w) => w.id === ws.id);
        if (!now || now.status !== 'running') {
          setWs(null);
          forgetTerminal(ws.id);
          setEnded(now?.stop_reason ?? 'its time ran out, it sat idle, or it was stopped elsewhere');
        } else setWs(now);
      } catch {
        /* the server is away for now: asked again later */
      }
    }, 15000);
    return () => window.clearInterval(timer);
  }, [ws?.id]);

  const act = async (what: WorkspaceState['busy'], fn: () => Promise<void>) => {
    setBusy(what);
    setError('');
    try {
      await fn();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  };

  const syncText = (r: SyncResult | undefined) =>
    r?.version ? `${r.files} file${r.files === 1 ? '' : 's'} saved to the project` : r?.message ?? '';

  return {
    ws,
    busy,
    error,
    ended,
    start: () =>
      act('starting', async () => {
        await opts.current.beforeSync().catch(() => {});
        setEnded('');
        setWs(await wsApi.start(projectId));
      }),
    stop: () =>
      act('stopping', async () => {
        const w = wsRef.current;
        if (!w) return;
        await opts.current.beforeSync().catch(() => {});
        const r = await wsApi.stop(w.id);
        setWs(null);
        forgetTerminal(w.id);
        if (r.sync?.version) await opts.current.afterSync();
        const text = syncText(r.sync);
        opts.current.notify('Workspace stopped' + (text ? `: ${text}` : ''), r.sync && !r.sync.version ? 'error' : 'info');
      }),
    extend: () =>
      act('extending', async () => {
        const w = wsRef.current;
        if (w) setWs(await wsApi.extend(w.id, EXTEND_SECONDS));
      }),
    sync: () =>
      act('syncing', async () => {
        const w = wsRef.current;
        if (!w) return;
        await opts.current.beforeSync();
        const r = await wsApi.sync(w.id);
        await opts.current.afterSync();
        opts.current.notify(`Synced: ${syncText(r)}`, 'info');
      }),
    writeThrough: useCallback((path: string, text: string) => {
      const w = wsRef.current;
      if (w) wsApi.writeFile(w.id, path, text).catch(() => {});
    }, []),
  };
}

// "29:41": minutes and seconds until `iso` (from now), ticking.
function useCountdown(iso: string | undefined): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!iso) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [iso]);
  return iso ? Math.max(0, Math.round((Date.parse(iso) - now) / 1000)) : 0;
}

export function formatLeft(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return (h ? `${h}:` : '') + `${mm}:${String(s).padStart(2, '0')}`;
}

// The editor bar's control: "Workspace" to start; while it lives, the time left,
// Extend, Sync and Stop.
export function WorkspaceBar(props: { w: WorkspaceState; onOpen: () => void }) {
  const { ws, busy, error } = props.w;
  const left = useCountdown(ws?.expires_at);
  const idleLeft = useCountdown(ws?.idle_expires_at);
  if (!ws)
    return (
      <span class="workspace-bar" data-testid="workspace-bar">
        <button
          class="small"
          onClick={async () => {
            await props.w.start();
            props.onOpen();
          }}
          disabled={!!busy}
          title="A live sandbox with this project's files: a terminal and a preview of the app you run in it"
        >
          {busy === 'starting' ? 'Starting…' : '⌨ Workspace'}
        </button>
        {error && (
          <span class="error small" role="alert">
            {error}
          </span>
        )}
      </span>
    );
  const soon = Math.min(left, idleLeft) < 300;
  return (
    <span class="workspace-bar live" data-testid="workspace-bar">
      <span
        class={'ws-left small' + (soon ? ' soon' : '')}
        data-testid="workspace-left"
        title={`The workspace ends in ${formatLeft(left)} (or after ${formatLeft(idleLeft)} without use)`}
      >
        ● {formatLeft(left)} left
      </span>
      <button class="small" onClick={props.w.extend} disabled={!!busy} title="Give the workspace 30 more minutes from now">
        Extend
      </button>
      <button
        class="small"
        onClick={props.w.sync}
        disabled={!!busy}
        title="Save the workspace's files (also those made in the terminal) to the project"
      >
        {busy === 'syncing' ? 'Syncing…' : 'Sync to project'}
      </button>
      <button
        class="small"
        onClick={props.w.stop}
        disabled={!!busy}
        title="End the workspace; its files are saved to the project first"
      >
        {busy === 'stopping' ? 'Stopping…' : 'Stop workspace'}
      </button>
      {error && (
        <span class="error small" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

// The shell kept across page loads: the terminal's id by workspace.
const terminalKey = (workspace: string) => `runlet.terminal.${workspace}`;
function forgetTerminal(workspace: string) {
  try {
    sessionStorage.removeItem(terminalKey(workspace));
  } catch {
    /* storage off */
  }
}

function NoWorkspace(props: { w: WorkspaceState; what: string }) {
  const { busy, ended } = props.w;
  return (
    <div class="ws-empty">
      {ended && (
        <p class="muted" role="status">
          The workspace ended ({ended.replace(/_/g, ' ')}).
        </p>
      )}
      <p>{props.what} needs a running workspace: a live sandbox with this project's files.</p>
      <button onClick={props.w.start} disabled={!!busy}>
        {busy === 'starting' ? 'Starting…' : 'Start the workspace'}
      </button>
      {props.w.error && (
        <p class="error small" role="alert">
          {props.w.error}
        </p>
      )}
    </div>
  );
}

type Link = 'connecting' | 'open' | 'lost' | 'exited' | 'detached';

// The terminal panel: one shell of the workspace. A dropped connection comes back to the
// same shell (its last output replayed); a shell that ended can be started again.
export function WorkspaceTerminal(props: { w: WorkspaceState; visible: boolean }) {
  const ws = props.w.ws;
  if (!ws) return <NoWorkspace w={props.w} what="The terminal" />;
  return <Shell key={ws.id} workspace={ws.id} visible={props.visible} />;
}

function Shell(props: { workspace: string; visible: boolean }) {
  const term = useRef<TerminalHandle | null>(null);
  const size = useRef<{ cols: number; rows: number } | null>(null);
  const sock = useRef<WebSocket | null>(null);
  const [link, setLink] = useState<Link>('connecting');
  const [generation, setGeneration] = useState(0); // a new connection wanted
  const [ready, setReady] = useState(false); // the terminal has its size

  useEffect(() => {
    if (!ready) return;
    let closed = false;
    let retry = 0;
    let timer = 0;
    const connect = () => {
      let saved = '';
      try {
        saved = sessionStorage.getItem(terminalKey(props.workspace)) ?? '';
      } catch {
        /* storage off */
      }
      const { cols, rows } = size.current ?? { cols: 80, rows: 24 };
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const url =
        `${proto}//${location.host}/api/v1/workspaces/${props.workspace}/terminal?cols=${cols}&rows=${rows}` +
        (saved ? `&terminal=${encodeURIComponent(saved)}` : '');
      const s = new WebSocket(url);
      s.binaryType = 'arraybuffer';
      sock.current = s;
      let ended = false;
      setLink('connecting');
      s.onmessage = (ev) => {
        if (typeof ev.data !== 'string') {
          term.current?.write(new Uint8Array(ev.data as ArrayBuffer));
          return;
        }
        let msg: { type?: string; terminal?: string; code?: number };
        try {
          msg = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (msg.type === 'hello') {
          retry = 0;
          // A reattached shell replays its last output: the screen starts again.
          term.current?.clear();
          try {
            sessionStorage.setItem(terminalKey(props.workspace), msg.terminal ?? '');
          } catch {
            /* storage off */
          }
          setLink('open');
          if (size.current) s.send(JSON.stringify({ type: 'resize', ...size.current }));
        } else if (msg.type === 'exit') {
          ended = true;
          forgetTerminal(props.workspace);
          term.current?.write(`\r\n\x1b[2m[the shell ended with code ${msg.code}]\x1b[0m\r\n`);
          setLink('exited');
        } else if (msg.type === 'detached') {
          ended = true;
          setLink('detached');
        }
      };
      s.onclose = () => {
        if (sock.current === s) sock.current = null;
        if (closed || ended) return;
        // Dropped (network, server restart): back to the same shell, a little later.
        setLink('lost');
        retry = Math.min(retry + 1, 5);
        timer = window.setTimeout(connect, 500 * retry);
      };
    };
    connect();
    return () => {
      closed = true;
      window.clearTimeout(timer);
      sock.current?.close();
      sock.current = null;
    };
  }, [props.workspace, generation, ready]);

  useEffect(() => {
    if (props.visible) window.setTimeout(() => term.current?.focus(), 0);
  }, [props.visible]);

  const again = (fresh: boolean) => {
    if (fresh) {
      forgetTerminal(props.workspace);
      term.current?.clear();
    }
    setGeneration((g) => g + 1);
  };

  return (
    <div class="ws-terminal">
      <div class="ws-status small" data-testid="terminal-state" data-state={link}>
        {link === 'connecting' && <span class="muted">Connecting…</span>}
        {link === 'open' && <span class="muted">Shell in the workspace · files under /work</span>}
        {link === 'lost' && <span class="warn">Connection lost: reconnecting to the same shell…</span>}
        {link === 'exited' && (
          <span>
            The shell ended.{' '}
            <button class="link" onClick={() => again(true)}>
              New shell
            </button>
          </span>
        )}
        {link === 'detached' && (
          <span>
            This shell was opened in another window.{' '}
            <button class="link" onClick={() => again(false)}>
              Use it here
            </button>
          </span>
        )}
      </div>
      <Terminal
        label="Workspace terminal"
        handle={(t) => (term.current = t)}
        onData={(d) => {
          const s = sock.current;
          if (s && s.readyState === WebSocket.OPEN) s.send(new TextEncoder().encode(d));
        }}
        onResize={(cols, rows) => {
          size.current = { cols, rows };
          if (!ready) setReady(true);
          const s = sock.current;
          if (s && s.readyState === WebSocket.OPEN) s.send(JSON.stringify({ type: 'resize', cols, rows }));
        }}
      />
    </div>
  );
}

// The preview panel: the app listening on a port of the workspace, through the preview
// origin (each showing asks the server for a fresh one-time grant).
export function WorkspacePreview(props: { w: WorkspaceState; visible: boolean }) {
  const ws = props.w.ws;
  const [port, setPort] = useState('3000');
  const [url, setUrl] = useState(''); // with the grant: what the frame loads
  const [error, setError] = useState('');
  useEffect(() => {
    setUrl('');
    setError('');
  }, [ws?.id]);
  if (!ws) return <NoWorkspace w={props.w} what="The preview" />;

  const grant = async () => {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error('The port is a number from 1 to 65535.');
    return (await wsApi.preview(ws.id, n)).url;
  };
  const show = async () => {
    setError('');
    try {
      setUrl(await grant());
    } catch (e) {
      setError(errorText(e));
    }
  };
  const openTab = async () => {
    // Opened now (in the click), pointed at the app once the grant is there.
    const tab = window.open('', '_blank');
    try {
      const u = await grant();
      if (tab) {
        tab.opener = null;
        tab.location.href = u;
      } else window.location.assign(u);
    } catch (e) {
      tab?.close();
      setError(errorText(e));
    }
  };
  const shown = url ? url.replace(/\?runlet_preview_grant=[^&#]*/, '') : '';
  return (
    <div class="ws-preview">
      <form
        class="row ws-preview-bar"
        onSubmit={(e) => {
          e.preventDefault();
          show();
        }}
      >
        <label class="small ws-port">
          Port
          <input
            aria-label="Preview port"
            inputMode="numeric"
            value={port}
            onInput={(e) => setPort(e.currentTarget.value.trim())}
            size={5}
          />
        </label>
        <button type="submit" class="small">
          {url ? '↻ Reload' : 'Show'}
        </button>
        <button type="button" class="small" onClick={openTab} title="The app in a tab of its own">
          Open in a new tab ↗
        </button>
      </form>
      {shown && (
        <p class="ws-url small" data-testid="preview-url">
          <code>{shown}</code>
        </p>
      )}
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
      {url ? (
        <iframe
          class="ws-frame"
          src={url}
          title="App preview"
          data-testid="preview-frame"
          sandbox="allow-scripts allow-forms allow-same-origin allow-popups allow-modals allow-downloads"
        />
      ) : (
        <p class="muted small ws-hint">
          Start your app in the terminal so that it listens on port {port || '3000'} (for instance{' '}
          <code>python3 -m http.server {port || '3000'}</code>), then press Show. It is served on a separate origin, so
          its pages never see your Runlet session.
        </p>
      )}
    </div>
  );
}
