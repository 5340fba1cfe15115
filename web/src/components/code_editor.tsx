// CodeMirror 6 with one editor state per open file, so that each tab keeps its own undo
// history, selection and scroll position.
import { useEffect, useRef } from 'preact/hooks';
import { EditorState, Extension } from '@codemirror/state';
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
  highlightSpecialChars,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  indentOnInput,
  indentUnit,
  StreamLanguage,
  syntaxHighlighting,
} from '@codemirror/language';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { go } from '@codemirror/lang-go';
import { python } from '@codemirror/lang-python';
import { javascript } from '@codemirror/lang-javascript';
import { java } from '@codemirror/lang-java';
import { cpp } from '@codemirror/lang-cpp';
import { rust } from '@codemirror/lang-rust';
import { php } from '@codemirror/lang-php';
import { ruby } from '@codemirror/legacy-modes/mode/ruby';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { perl } from '@codemirror/legacy-modes/mode/perl';

// The syntax for a file, from its name; plain text when unknown.
export function languageFor(path: string): { name: string; ext: Extension[] } {
  const name = path.split('/').pop() ?? '';
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.')).toLowerCase() : '';
  switch (ext) {
    case '.go':
      return { name: 'Go', ext: [go()] };
    case '.py':
      return { name: 'Python', ext: [python()] };
    case '.js':
    case '.mjs':
    case '.cjs':
      return { name: 'JavaScript', ext: [javascript()] };
    case '.ts':
      return { name: 'TypeScript', ext: [javascript({ typescript: true })] };
    case '.json':
      return { name: 'JSON', ext: [javascript()] };
    case '.java':
      return { name: 'Java', ext: [java()] };
    case '.c':
    case '.h':
      return { name: 'C', ext: [cpp()] };
    case '.cpp':
    case '.cc':
    case '.cxx':
    case '.hpp':
    case '.hh':
      return { name: 'C++', ext: [cpp()] };
    case '.rs':
      return { name: 'Rust', ext: [rust()] };
    case '.php':
      return { name: 'PHP', ext: [php()] };
    case '.rb':
      return { name: 'Ruby', ext: [StreamLanguage.define(ruby)] };
    case '.sh':
    case '.bash':
      return { name: 'Shell', ext: [StreamLanguage.define(shell)] };
    case '.pl':
    case '.pm':
      return { name: 'Perl', ext: [StreamLanguage.define(perl)] };
    default:
      return { name: 'Plain text', ext: [] };
  }
}

export interface CodeEditorProps {
  path: string;
  content: string; // the file's text when its state is first made
  generation: number; // bump to drop every kept state (files reloaded from the server)
  readOnly: boolean;
  onChange: (path: string, text: string) => void;
  onRun: () => void;
}

export function CodeEditor(props: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const states = useRef(new Map<string, EditorState>());
  const current = useRef('');
  const latest = useRef(props);
  latest.current = props;

  const makeState = (path: string, text: string) =>
    EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        foldGutter(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        indentUnit.of(path.endsWith('.go') ? '\t' : '    '),
        keymap.of([
          {
            key: 'Mod-Enter',
            preventDefault: true,
            run: () => {
              latest.current.onRun();
              return true;
            },
          },
          {
            key: 'Mod-s',
            preventDefault: true,
            run: () => true, // saving is automatic; keep the browser's dialog away
          },
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...searchKeymap,
          ...historyKeymap,
          indentWithTab,
        ]),
        EditorState.readOnly.of(latest.current.readOnly),
        EditorView.editable.of(!latest.current.readOnly),
        EditorView.contentAttributes.of({ 'aria-label': `Code of ${path}` }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) latest.current.onChange(path, u.state.doc.toString());
        }),
        ...languageFor(path).ext,
      ],
    });

  useEffect(() => {
    view.current = new EditorView({ parent: host.current! });
    return () => view.current?.destroy();
  }, []);

  useEffect(() => {
    states.current.clear();
    current.current = '';
  }, [props.generation, props.readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    if (current.current === props.path && states.current.has(props.path)) return;
    if (current.current) states.current.set(current.current, v.state);
    const kept = states.current.get(props.path);
    v.setState(kept ?? makeState(props.path, props.content));
    current.current = props.path;
    v.focus();
  }, [props.path, props.generation, props.readOnly]);

  return <div class="code-editor" ref={host} data-testid="code-editor" />;
}
