// The UI's only way to the server: the public HTTP API under /api/v1 (see API.md).
// The browser holds the session in an HttpOnly cookie; unsafe requests carry the CSRF
// token from the readable runlet_csrf cookie.

export interface User {
  id: number;
  username: string;
  role: 'user' | 'admin';
  disabled: boolean;
  totp_enabled: boolean;
  created_at: string;
  quota: Quota;
  usage?: { runs: number; memory_bytes: number; cpus: number };
  recovery_codes_left?: number;
  builtin?: boolean; // the admin's list: the server's own anonymous account (cannot be deleted)
}

export interface Quota {
  concurrent_runs: number;
  cpus: number;
  memory_bytes: number;
  disk_bytes: number;
  time_ms: number;
}

export interface Faq {
  question: string;
  answer: string;
}

export interface Runtime {
  id: string;
  language: string;
  version: string;
  name: string;
  os: string;
  arch: string;
  description: string;
  main_file: string;
  extensions: string[];
  faq: Faq[];
  available: boolean;
  problem?: string;
}

// private: the owner's only; unlisted: anyone with the link (never in the gallery);
// public: in the gallery too.
export type Visibility = 'private' | 'unlisted' | 'public';

export interface Project {
  id: string;
  name: string;
  runtime: string;
  visibility: Visibility;
  description: string;
  run_count: number; // runs ever started of it, by anyone
  owner: string | null;
  created_at: string;
  updated_at: string;
  // The original of a fork (told to others only when the original is public), its name
  // and owner while it exists and may be read.
  forked_from: string | null;
  forked_from_name: string | null;
  forked_from_owner: string | null;
  env?: Record<string, string>;
  can_run?: boolean; // the owner; anyone logged in when public; visitors if the admin allows
}

// The gallery's filters: text in the name or description, a language, the order.
export interface GalleryQuery {
  q?: string;
  language?: string;
  sort?: '' | 'updated' | 'newest' | 'runs' | 'name';
}

// Limits in the API's form: durations "5000ms", sizes in bytes.
export interface Limits {
  time: string;
  wall: string;
  memory: number;
  pids: number;
  output: number;
  disk: number;
  cpus: number;
  open_files: number;
}

// What a run of a project gets by default, and what the caller may ask for.
export interface RunLimits {
  run: Limits;
  interactive: Limits;
  idle_ms: number;
  max: Limits;
}

export interface RunOptions {
  interactive?: boolean;
  args?: string[];
  limits?: Partial<Record<'time' | 'wall' | 'memory', string>>;
}

export interface FileEntry {
  path: string;
  size: number;
}

export type RunStatus =
  | 'queued'
  | 'building'
  | 'running'
  | 'ok'
  | 'runtime_error'
  | 'compile_error'
  | 'time_limit'
  | 'memory_limit'
  | 'output_limit'
  | 'cancelled'
  | 'internal_error';

export interface StepResult {
  status: RunStatus;
  exit_code: number | null;
  signal: number | null;
  cpu_time_ms: number;
  wall_time_ms: number;
  memory_peak_bytes: number;
  message: string;
  reason?: string;
}

export interface Run extends StepResult {
  id: string;
  project_id: string | null;
  version_id: string | null;
  runtime: string;
  platform: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  build: StepResult | null;
  limits?: Limits;
}

export interface LogEntry {
  seq: number;
  stream: 'stdout' | 'stderr';
  text: string;
  time: string;
}

export interface Version {
  id: string;
  created_at: string;
  files: FileEntry[];
}

// One file of a version compared with the project's current files (what a restore does).
export interface ComparedFile {
  path: string;
  status: 'changed' | 'same' | 'restored' | 'removed';
  binary?: boolean;
  version?: string | null; // its text in the version
  current?: string | null; // its text now
}

export interface Token {
  id: string;
  name: string;
  created_at: string;
  expires_at: string;
  last_used_at: string;
}

export const FINAL: RunStatus[] = [
  'ok',
  'runtime_error',
  'compile_error',
  'time_limit',
  'memory_limit',
  'output_limit',
  'cancelled',
  'internal_error',
];

export function isFinal(status: RunStatus): boolean {
  return FINAL.includes(status);
}

// An error answer of the API ({"error", "message"}), or a network failure (status 0).
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public retryAfter?: number,
  ) {
    super(message);
  }
}

function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)runlet_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

type Body = string | Blob | object | undefined;

// Called when the server says the session is gone, so the app can show the login page.
export let onUnauthorized: () => void = () => {};
export function setOnUnauthorized(f: () => void) {
  onUnauthorized = f;
}

export async function request<T>(method: string, path: string, body?: Body, raw = false): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  let payload: string | Blob | undefined;
  if (typeof body === 'string' || body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch('/api/v1' + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  if (!res.ok) {
    let code = 'error';
    let message = `${res.status} ${res.statusText}`;
    try {
      const j = await res.json();
      code = j.error ?? code;
      message = j.message ?? message;
    } catch {
      /* not JSON */
    }
    const retry = Number(res.headers.get('Retry-After') ?? '') || undefined;
    if (res.status === 401 && code === 'unauthorized') onUnauthorized();
    throw new ApiError(res.status, code, message, retry);
  }
  if (res.status === 204) return undefined as T;
  if (raw) return (await res.text()) as T;
  return (await res.json()) as T;
}

// Paths inside a project, encoded segment by segment ("src/a b.go" -> "src/a%20b.go").
export function filePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export const api = {
  signup: (username: string, password: string) => request<User>('POST', '/auth/signup', { username, password }),
  login: (username: string, password: string, totp?: string) =>
    request<{ token: string; csrf_token: string; user: User }>('POST', '/auth/login', {
      username,
      password,
      ...(totp ? { totp } : {}),
    }),
  logout: () => request<void>('POST', '/auth/logout'),
  me: () => request<User>('GET', '/me'),
  changePassword: (current_password: string, new_password: string) =>
    request<void>('POST', '/me/password', { current_password, new_password }),
  totpBegin: () => request<{ secret: string; otpauth_uri: string }>('POST', '/me/totp'),
  totpVerify: (code: string) => request<{ recovery_codes: string[] }>('POST', '/me/totp/verify', { code }),
  totpDisable: (code: string) => request<void>('DELETE', '/me/totp', { code }),
  tokens: () => request<Token[]>('GET', '/me/tokens'),
  // Takes the password, or (two-factor on) a code from the app or a recovery code.
  createToken: (name: string, proof: { password: string } | { totp: string }) =>
    request<Token & { token: string }>('POST', '/me/tokens', { name, ...proof }),
  deleteToken: (id: string) => request<void>('DELETE', `/me/tokens/${encodeURIComponent(id)}`),

  runtimes: () => request<Runtime[]>('GET', '/runtimes'),
  faq: () => request<Faq[]>('GET', '/faq'),

  projects: () => request<Project[]>('GET', '/projects'),
  createProject: (name: string, runtime: string, visibility = 'private') =>
    request<Project>('POST', '/projects', { name, runtime, visibility }),
  project: (id: string) => request<Project>('GET', `/projects/${id}`),
  updateProject: (id: string, patch: Partial<Pick<Project, 'name' | 'runtime' | 'visibility' | 'env' | 'description'>>) =>
    request<Project>('PATCH', `/projects/${id}`, patch),
  deleteProject: (id: string) => request<void>('DELETE', `/projects/${id}`),
  fork: (id: string) => request<Project>('POST', `/projects/${id}/fork`),
  gallery: (page = 1, query: GalleryQuery = {}) => {
    const params = new URLSearchParams({ page: String(page) });
    for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
    return request<{ projects: Project[]; page: number; next: number | null }>('GET', `/gallery?${params}`);
  },

  files: (id: string) => request<FileEntry[]>('GET', `/projects/${id}/files`),
  readFile: (id: string, path: string) => request<string>('GET', `/projects/${id}/files/${filePath(path)}`, undefined, true),
  writeFile: (id: string, path: string, content: string | Blob) =>
    request<FileEntry>('PUT', `/projects/${id}/files/${filePath(path)}`, content),
  renameFile: (id: string, from: string, to: string) =>
    request<{ from: string; path: string }>('PATCH', `/projects/${id}/files/${filePath(from)}`, { path: to }),
  deleteFile: (id: string, path: string) => request<void>('DELETE', `/projects/${id}/files/${filePath(path)}`),
  // A zip or tar of files added to the project (same paths replaced); the zip of it all.
  importArchive: (id: string, archive: Blob) =>
    request<{ files: FileEntry[]; added: number; replaced: number }>('POST', `/projects/${id}/archive`, archive),
  archiveUrl: (id: string) => `/api/v1/projects/${id}/archive`,
  fileUrl: (id: string, path: string) => `/api/v1/projects/${id}/files/${filePath(path)}`,

  versions: (id: string) => request<Version[]>('GET', `/projects/${id}/versions`),
  compareVersion: (id: string, vid: string) =>
    request<{ version: string; files: ComparedFile[] }>('GET', `/projects/${id}/versions/${vid}/compare`),
  restore: (id: string, vid: string) =>
    request<{ restored: string; files: number }>('POST', `/projects/${id}/versions/${vid}/restore`),

  startRun: (id: string, options: RunOptions = { interactive: true }) => request<Run>('POST', `/projects/${id}/runs`, options),
  runLimits: (id: string) => request<RunLimits>('GET', `/projects/${id}/run-limits`),
  runs: (id: string) => request<Run[]>('GET', `/projects/${id}/runs`),
  run: (id: string) => request<Run>('GET', `/runs/${id}`),
  logs: (id: string, after = 0, limit = 1000) =>
    request<{ entries: LogEntry[]; next: number; done: boolean }>('GET', `/runs/${id}/logs?after=${after}&limit=${limit}`),
  stop: (id: string) => request<Run>('POST', `/runs/${id}/stop`),

  admin: {
    users: () => request<(User & { effective_quota: Quota })[]>('GET', '/admin/users'),
    updateUser: (id: number, patch: object) => request<User>('PATCH', `/admin/users/${id}`, patch),
    deleteUser: (id: number) => request<void>('DELETE', `/admin/users/${id}`),
    createUser: (username: string, password: string, role: string) =>
      request<User>('POST', '/admin/users', { username, password, role }),
    settings: () => request<Record<string, unknown>>('GET', '/admin/settings'),
    putSettings: (s: object) => request<Record<string, unknown>>('PUT', '/admin/settings', s),
    putFaq: (faq: Faq[]) => request<Faq[]>('PUT', '/admin/faq', faq),
    runtimes: () => request<Record<string, unknown>[]>('GET', '/admin/runtimes'),
    addRuntime: (def: object) => request<Record<string, unknown>>('POST', '/admin/runtimes', def),
    putRuntime: (id: string, def: object) =>
      request<Record<string, unknown>>('PUT', `/admin/runtimes/${encodeURIComponent(id)}`, def),
    deleteRuntime: (id: string) => request<void>('DELETE', `/admin/runtimes/${encodeURIComponent(id)}`),
    platforms: () => request<Record<string, unknown>>('GET', '/admin/platforms'),
    putPlatforms: (p: object) => request<Record<string, unknown>>('PUT', '/admin/platforms', p),
  },
};

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const friendly: Record<string, string> = {
      too_many_requests: 'Quota reached: ',
      too_large: 'Too large: ',
      unavailable: 'Unavailable: ',
      runtime_unavailable: 'Runtime unavailable: ',
      rate_limited: 'Slow down: ',
    };
    const prefix = friendly[e.code] ?? '';
    const retry = e.retryAfter ? ` (try again in ${e.retryAfter} s)` : '';
    return prefix + e.message + retry;
  }
  return e instanceof Error ? e.message : String(e);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}
