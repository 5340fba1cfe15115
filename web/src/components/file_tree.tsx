// The project's files as a tree of folders (from the paths; empty folders live only
// here until a file is put in them), with add, rename and delete in place. A typed name
// is relative to the folder it is typed in; "/" at its start means the top folder and
// "../" the folder above.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

// Uploads with these endings are unpacked into the project, not stored as they are.
export const ARCHIVE_NAME = /\.(zip|tar|tgz|tar\.gz|tar\.xz|tar\.bz2|tar\.zst)$/i;

interface Node {
  name: string;
  path: string;
  folder: boolean;
  children: Node[];
}

export function buildTree(paths: string[], folders: string[]): Node[] {
  const root: Node = { name: '', path: '', folder: true, children: [] };
  const folderNode = (path: string): Node => {
    let node = root;
    let sofar = '';
    for (const part of path.split('/').filter(Boolean)) {
      sofar = sofar ? `${sofar}/${part}` : part;
      let next = node.children.find((c) => c.folder && c.name === part);
      if (!next) {
        next = { name: part, path: sofar, folder: true, children: [] };
        node.children.push(next);
      }
      node = next;
    }
    return node;
  };
  for (const f of folders) folderNode(f);
  for (const p of paths) {
    const slash = p.lastIndexOf('/');
    const parent = folderNode(slash < 0 ? '' : p.slice(0, slash));
    parent.children.push({ name: p.slice(slash + 1), path: p, folder: false, children: [] });
  }
  const sort = (n: Node) => {
    n.children.sort((a, b) => (a.folder !== b.folder ? (a.folder ? -1 : 1) : a.name.localeCompare(b.name)));
    n.children.forEach(sort);
  };
  sort(root);
  return root.children;
}

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

// The project path a typed name means, typed in folder `base` ('' = the top), or why it
// cannot be one. The server's rules for paths, said before anything is sent.
export function resolveName(base: string, typed: string): { path: string } | { error: string } {
  const name = typed.trim();
  if (name.includes('\\')) return { error: 'Use / between folders, not \\.' };
  if (name.includes('\0')) return { error: 'A name cannot hold a NUL character.' };
  const parts = name.startsWith('/') ? [] : base.split('/').filter(Boolean);
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!parts.length) return { error: `"${name}" goes above the project's top folder.` };
      parts.pop();
      continue;
    }
    if (utf8Length(part) > 255) return { error: 'A file or folder name may be at most 255 bytes long.' };
    parts.push(part);
  }
  if (!parts.length) return { error: `"${name}" names no file: type a name such as main.py.` };
  const path = parts.join('/');
  if (utf8Length(path) > 1024) return { error: 'A path may be at most 1024 bytes long.' };
  return { path };
}

export interface FileTreeProps {
  paths: string[];
  folders: string[];
  active: string;
  readOnly: boolean;
  dirty: Set<string>;
  onOpen: (path: string) => void;
  onCreate: (path: string, folder: boolean) => void;
  onRename: (from: string, to: string) => void;
  onDelete: (path: string, folder: boolean) => void;
  // Files chosen to upload into `folder` ('' = the top); archives are unpacked.
  onUpload: (files: File[], folder: string) => void;
  fileUrl: (path: string) => string; // where a file downloads from
  zipUrl: string; // where the whole project downloads from, as a zip
}

type Editing = { mode: 'new-file' | 'new-folder'; parent: string } | { mode: 'rename'; path: string } | null;

const parentOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

export function FileTree(props: FileTreeProps) {
  const [editing, setEditing] = useState<Editing>(null);
  const [error, setError] = useState('');
  // Where "+ File" and "+ Folder" put the new entry: the folder clicked last, the folder of
  // the file clicked last, or the top (a click on the tree's empty space).
  const [selectedFolder, setSelectedFolder] = useState('');
  const [collapsed, setCollapsed] = useState(new Set<string>());
  const tree = buildTree(props.paths, props.folders);

  const isFolder = (p: string) =>
    props.folders.some((f) => f === p || f.startsWith(p + '/')) || props.paths.some((f) => f.startsWith(p + '/'));
  const exists = (p: string) => props.paths.includes(p) || isFolder(p);

  const close = () => {
    setEditing(null);
    setError('');
  };

  // Enter commits, and so does the blur that follows when the input goes: once only. A
  // name that cannot be keeps the input open with the reason under it.
  const committed = useRef<Editing>(null);
  const commit = (value: string) => {
    const e = editing;
    if (!e || committed.current === e) return;
    if (!value.trim()) {
      committed.current = e;
      close();
      return;
    }
    const base = e.mode === 'rename' ? parentOf(e.path) : e.parent;
    const r = resolveName(base, value);
    if ('error' in r) {
      setError(r.error);
      return;
    }
    if (e.mode === 'rename') {
      if (r.path !== e.path) {
        if (exists(r.path)) {
          setError(`${r.path} already exists.`);
          return;
        }
        if (r.path.startsWith(e.path + '/')) {
          setError('A folder cannot move into itself.');
          return;
        }
      }
      committed.current = e;
      close();
      if (r.path !== e.path) props.onRename(e.path, r.path);
    } else {
      if (exists(r.path)) {
        setError(`${r.path} already exists${props.paths.includes(r.path) ? '' : ' as a folder'}.`);
        return;
      }
      const clash = props.paths.find((p) => r.path.startsWith(p + '/'));
      if (clash) {
        setError(`${clash} is a file, so it cannot hold ${r.path}.`);
        return;
      }
      committed.current = e;
      close();
      props.onCreate(r.path, e.mode === 'new-folder');
    }
  };

  // A new entry goes in the selected folder, opened so that its name can be typed.
  const startCreate = (mode: 'new-file' | 'new-folder') => {
    if (selectedFolder && collapsed.has(selectedFolder)) {
      const next = new Set(collapsed);
      next.delete(selectedFolder);
      setCollapsed(next);
    }
    setError('');
    setEditing({ mode, parent: selectedFolder });
  };

  const input = (initial: string, label: string) => (
    <div class="tree-edit">
      <TreeInput
        initial={initial}
        label={label}
        invalid={!!error}
        onEdit={() => error && setError('')}
        onCommit={commit}
        onCancel={() => {
          committed.current = editing;
          close();
        }}
      />
      {error ? (
        <p class="tree-error error small" role="alert">
          {error}
        </p>
      ) : (
        <p class="tree-hint muted small">Enter saves, Esc cancels · /name: top folder · ../name: folder above</p>
      )}
    </div>
  );

  const render = (nodes: Node[], parent: string, depth: number) => (
    <ul role={depth === 0 ? 'tree' : 'group'} aria-label={depth === 0 ? 'Files' : undefined}>
      {editing && editing.mode !== 'rename' && editing.parent === parent && (
        <li style={{ paddingLeft: `${depth * 12 + 4}px` }}>
          {input('', editing.mode === 'new-file' ? 'New file name' : 'New folder name')}
        </li>
      )}
      {nodes.map((n) => {
        const open = !collapsed.has(n.path);
        const renaming = editing?.mode === 'rename' && editing.path === n.path;
        return (
          <li
            key={n.path}
            role="treeitem"
            aria-expanded={n.folder ? open : undefined}
            aria-selected={!n.folder && n.path === props.active}
          >
            <div
              class={
                'tree-row' +
                (n.path === props.active ? ' active' : '') +
                (n.folder && n.path === selectedFolder ? ' selected' : '')
              }
              style={{ paddingLeft: `${depth * 12 + 4}px` }}
            >
              {renaming ? (
                input(n.name, `New name for ${n.path}`)
              ) : (
                <button
                  class="tree-item"
                  data-path={n.path}
                  title={n.path}
                  onClick={() => {
                    if (n.folder) {
                      setSelectedFolder(n.path);
                      const next = new Set(collapsed);
                      if (open) next.add(n.path);
                      else next.delete(n.path);
                      setCollapsed(next);
                    } else {
                      setSelectedFolder(parentOf(n.path));
                      props.onOpen(n.path);
                    }
                  }}
                >
                  <span aria-hidden="true" class="icon">
                    {n.folder ? (open ? '▾' : '▸') : '·'}
                  </span>
                  {n.name}
                  {props.dirty.has(n.path) && (
                    <span class="dot" title="unsaved" aria-label="unsaved">
                      ●
                    </span>
                  )}
                </button>
              )}
              {!renaming && (
                <span class="tree-actions">
                  {!n.folder && (
                    <a
                      class="icon-btn"
                      href={props.fileUrl(n.path)}
                      download={n.name}
                      aria-label={`Download ${n.path}`}
                      title="Download"
                    >
                      ⤓
                    </a>
                  )}
                  {!props.readOnly && (<>
                  <button
                    class="icon-btn"
                    aria-label={`Rename ${n.path}`}
                    title="Rename or move"
                    onClick={() => {
                      setError('');
                      setEditing({ mode: 'rename', path: n.path });
                    }}
                  >
                    ✎
                  </button>
                  <button class="icon-btn" aria-label={`Delete ${n.path}`} title="Delete" onClick={() => props.onDelete(n.path, n.folder)}>
                    ✕
                  </button>
                  </>)}
                </span>
              )}
            </div>
            {n.folder && open && render(n.children, n.path, depth + 1)}
          </li>
        );
      })}
    </ul>
  );

  const where = selectedFolder ? ` in ${selectedFolder}` : ' in the top folder';
  const picker = useRef<HTMLInputElement>(null);
  return (
    <div
      class="file-tree"
      onClick={(e) => {
        // A click on the empty space under the entries: new entries go to the top.
        if (!(e.target as HTMLElement).closest('li, .tree-head')) setSelectedFolder('');
      }}
    >
      <div class="tree-head">
        <span>Files</span>
        {!props.readOnly && (
          <span>
            <button class="icon-btn small" aria-label="New file" title={`New file${where}`} onClick={() => startCreate('new-file')}>
              + File
            </button>
            <button class="icon-btn small" aria-label="New folder" title={`New folder${where}`} onClick={() => startCreate('new-folder')}>
              + Folder
            </button>
            <button
              class="icon-btn small"
              aria-label="Upload files"
              title={`Upload files${where} (a .zip or .tar is unpacked)`}
              onClick={() => picker.current?.click()}
            >
              ⤒
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              aria-label="Files to upload"
              onChange={(e) => {
                const input = e.currentTarget;
                const chosen = Array.from(input.files ?? []);
                input.value = ''; // the same file may be chosen again
                if (!chosen.length) return;
                if (collapsed.has(selectedFolder)) {
                  const next = new Set(collapsed); // show where they land
                  next.delete(selectedFolder);
                  setCollapsed(next);
                }
                props.onUpload(chosen, selectedFolder);
              }}
            />
          </span>
        )}
        <a class="icon-btn small" href={props.zipUrl} download aria-label="Download the project as a zip" title="Download the project as a zip">
          ⤓
        </a>
      </div>
      {render(tree, '', 0)}
    </div>
  );
}

// The name being typed: focused, with the name before its extension selected, before the
// browser paints it (a later focus or selection would land on what is already typed).
function TreeInput(props: {
  initial: string;
  label: string;
  invalid: boolean;
  onEdit: () => void;
  onCommit: (v: string) => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    const dot = props.initial.lastIndexOf('.');
    el.setSelectionRange(0, dot > 0 ? dot : props.initial.length);
  }, []);
  return (
    <input
      ref={ref}
      class="tree-input"
      aria-label={props.label}
      aria-invalid={props.invalid}
      defaultValue={props.initial}
      onInput={props.onEdit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') props.onCommit(e.currentTarget.value);
        if (e.key === 'Escape') props.onCancel();
      }}
      onBlur={(e) => props.onCommit(e.currentTarget.value)}
    />
  );
}
