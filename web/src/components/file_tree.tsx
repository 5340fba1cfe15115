// The project's files as a tree of folders (from the paths; empty folders live only
// here until a file is put in them), with add, rename and delete in place.
import { useEffect, useRef, useState } from 'preact/hooks';

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
}

type Editing = { mode: 'new-file' | 'new-folder'; parent: string } | { mode: 'rename'; path: string } | null;

export function FileTree(props: FileTreeProps) {
  const [editing, setEditing] = useState<Editing>(null);
  const [selectedFolder, setSelectedFolder] = useState('');
  const [collapsed, setCollapsed] = useState(new Set<string>());
  const tree = buildTree(props.paths, props.folders);

  // Enter commits, and so does the blur that follows when the input goes: once only.
  const committed = useRef<Editing>(null);
  const commit = (value: string) => {
    const name = value.trim().replace(/^\/+|\/+$/g, '');
    const e = editing;
    setEditing(null);
    if (!e || committed.current === e) return;
    committed.current = e;
    if (!name) return;
    if (e.mode === 'rename') {
      const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/') + 1) : '';
      const to = name.includes('/') ? name : parent + name;
      if (to !== e.path) props.onRename(e.path, to);
    } else {
      const path = e.parent ? `${e.parent}/${name}` : name;
      props.onCreate(path, e.mode === 'new-folder');
    }
  };

  // A new entry goes in the selected folder, opened so that its name can be typed.
  const startCreate = (mode: 'new-file' | 'new-folder') => {
    if (selectedFolder && collapsed.has(selectedFolder)) {
      const next = new Set(collapsed);
      next.delete(selectedFolder);
      setCollapsed(next);
    }
    setEditing({ mode, parent: selectedFolder });
  };

  const input = (initial: string, label: string) => (
    <TreeInput
      initial={initial}
      label={label}
      onCommit={commit}
      onCancel={() => {
        committed.current = editing;
        setEditing(null);
      }}
    />
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
                      setSelectedFolder(n.path === selectedFolder ? '' : n.path);
                      const next = new Set(collapsed);
                      if (open) next.add(n.path);
                      else next.delete(n.path);
                      setCollapsed(next);
                    } else {
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
              {!props.readOnly && !renaming && (
                <span class="tree-actions">
                  <button class="icon-btn" aria-label={`Rename ${n.path}`} title="Rename" onClick={() => setEditing({ mode: 'rename', path: n.path })}>
                    ✎
                  </button>
                  <button class="icon-btn" aria-label={`Delete ${n.path}`} title="Delete" onClick={() => props.onDelete(n.path, n.folder)}>
                    ✕
                  </button>
                </span>
              )}
            </div>
            {n.folder && open && render(n.children, n.path, depth + 1)}
          </li>
        );
      })}
    </ul>
  );

  return (
    <div class="file-tree">
      <div class="tree-head">
        <span>Files</span>
        {!props.readOnly && (
          <span>
            <button
              class="icon-btn small"
              aria-label="New file"
              title={selectedFolder ? `New file in ${selectedFolder}` : 'New file'}
              onClick={() => startCreate('new-file')}
            >
              + File
            </button>
            <button
              class="icon-btn small"
              aria-label="New folder"
              title={selectedFolder ? `New folder in ${selectedFolder}` : 'New folder'}
              onClick={() => startCreate('new-folder')}
            >
              + Folder
            </button>
          </span>
        )}
      </div>
      {render(tree, '', 0)}
    </div>
  );
}

// The name being typed: focused once, with the name before its extension selected.
function TreeInput(props: { initial: string; label: string; onCommit: (v: string) => void; onCancel: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
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
      defaultValue={props.initial}
      onKeyDown={(e) => {
        if (e.key === 'Enter') props.onCommit(e.currentTarget.value);
        if (e.key === 'Escape') props.onCancel();
      }}
      onBlur={(e) => props.onCommit(e.currentTarget.value)}
    />
  );
}
