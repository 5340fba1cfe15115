// CodeMirror 6 with one editor state per open file, so that each tab keeps its own undo
// history, selection and scroll position.
import { useLayoutEffect, useRef } from 'preact/hooks';
import { oneDark } from '@codemirror/theme-one-dark';
import { usePreferences } from '../preferences';
import { Compartment, EditorState } from '@codemirror/state';
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
  LanguageDescription,
  syntaxHighlighting,
} from '@codemirror/language';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { languages } from '@codemirror/language-data';

// The syntax for a file, from its name (plain text when unknown). Each language's parser
// is a chunk of its own, loaded the first time a file of that language opens.
export function languageFor(path: string): LanguageDescription | null {
  const name = path.split('/').pop() ?? '';
  return LanguageDescription.matchFilename(languages, name);
}

export function languageName(path: string): string {
  return languageFor(path)?.name ?? 'Plain text';
}

export interface CodeEditorProps {
  path: string;
  content: string; // the file's text when its state is first made
  generation: number; // bump to drop every kept state (files reloaded from the server)
  readOnly: boolean;
  onChange: (path: string, text: string) => void;
  onRun: () => void;
  // A place to show: the cursor goes there (line and column from 1) when `path` is the
  // open file; a new `n` goes there again.
  goto?: { path: string; line: number; col?: number; n: number } | null;
}

// The colours of the theme in force (the page's light or dark), in every file's state.
const themeSlot = new Compartment();
const themeFor = (theme: 'light' | 'dark') => (theme === 'dark' ? oneDark : []);

export function CodeEditor(props: CodeEditorProps) {
  const [, theme] = usePreferences();
  const themeNow = useRef(theme);
  themeNow.current = theme;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const states = useRef(new Map<string, EditorState>());
  const current = useRef('');
  const latest = useRef(props);
  latest.current = props;

  const syntax = new Compartment();
  const makeState = (path: string, text: string) => {
    const lang = languageFor(path);
    if (lang) {
      lang
        .load()
        .then((support) => {
          const v = view.current;
          // Still this file's state (the user may have switched tabs meanwhile)?
          if (v && current.current === path) v.dispatch({ effects: syntax.reconfigure(support) });
          else if (states.current.has(path)) {
            const kept = states.current.get(path)!;
            states.current.set(path, kept.update({ effects: syntax.reconfigure(support) }).state);
          }
        })
        .catch(() => {});
    }
    return EditorState.create({
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
        syntax.of([]),
        themeSlot.of(themeFor(themeNow.current)),
      ],
    });
  };

  // Layout effects: the editor shows the file in the same frame as its tab turns active,
  // so nothing typed in between lands in the file before it.
  useLayoutEffect(() => {
    view.current = new EditorView({ parent: host.current! });
    return () => view.current?.destroy();
  }, []);

  useLayoutEffect(() => {
    states.current.clear();
    current.current = '';
  }, [props.generation, props.readOnly]);

  useLayoutEffect(() => {
    const v = view.current;
    if (!v) return;
    if (current.current === props.path && states.current.has(props.path)) return;
    if (current.current) states.current.set(current.current, v.state);
    const kept = states.current.get(props.path);
    v.setState(kept ?? makeState(props.path, props.content));
    current.current = props.path;
    v.focus();
  }, [props.path, props.generation, props.readOnly]);

  useLayoutEffect(() => {
    const v = view.current;
    const g = props.goto;
    if (!v || !g || g.path !== props.path) return;
    const line = v.state.doc.line(Math.min(Math.max(1, g.line), v.state.doc.lines));
    const pos = line.from + Math.min(Math.max(0, (g.col ?? 1) - 1), line.length);
    v.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: 'center' }) });
    v.focus();
    // On a narrow screen the editor may be above, out of view (the console is under it).
    const box = host.current?.getBoundingClientRect();
    if (box && (box.bottom < 0 || box.top > window.innerHeight)) host.current!.scrollIntoView({ block: 'start' });
  }, [props.goto?.n, props.path]);

  // A theme change recolours the open file and every kept one.
  useLayoutEffect(() => {
    const effects = themeSlot.reconfigure(themeFor(theme));
    view.current?.dispatch({ effects });
    for (const [path, state] of states.current) states.current.set(path, state.update({ effects }).state);
  }, [theme]);

  return <div class="code-editor" ref={host} data-testid="code-editor" />;
}
