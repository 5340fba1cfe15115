// The drag handle on the side panel's left edge (console, terminal, preview): dragged or
// moved with the arrow keys, it sets the panel's width (the grid's last column, through
// the --side-width variable of the enclosing .ide-body), kept for the next visit. Hidden
// where the panels are stacked (a phone).
import { useEffect, useRef } from 'preact/hooks';

const KEY = 'runlet.sideWidth';
const MIN = 280;
const EDITOR_MIN = 320; // what the files and the editor keep at least

function apply(body: HTMLElement, width: number) {
  const most = Math.max(MIN, body.getBoundingClientRect().width - 220 - EDITOR_MIN);
  const w = Math.round(Math.min(Math.max(width, MIN), most));
  body.style.setProperty('--side-width', `${w}px`);
  return w;
}

export function SplitHandle() {
  const el = useRef<HTMLDivElement>(null);
  const body = () => el.current?.closest('.ide-body') as HTMLElement | null;

  useEffect(() => {
    const saved = Number(localStorage.getItem(KEY) ?? '');
    const b = body();
    if (b && saved > 0) apply(b, saved);
  }, []);

  const save = (w: number) => {
    try {
      localStorage.setItem(KEY, String(w));
    } catch {
      /* storage off */
    }
  };
  const current = () => el.current?.parentElement?.getBoundingClientRect().width ?? 400;

  const onPointerDown = (e: PointerEvent) => {
    const b = body();
    if (!b) return;
    e.preventDefault();
    const handle = e.currentTarget as HTMLElement;
    handle.setPointerCapture(e.pointerId);
    document.body.classList.add('resizing');
    // Frames (the preview) would swallow the pointer as it passes over them.
    const move = (ev: PointerEvent) => apply(b, b.getBoundingClientRect().right - ev.clientX);
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
      document.body.classList.remove('resizing');
      save(current());
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const b = body();
    if (!b || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight')) return;
    e.preventDefault();
    save(apply(b, current() + (e.key === 'ArrowLeft' ? 24 : -24)));
  };
  return (
    <div
      ref={el}
      class="split-handle"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the side panel (drag, or the arrow keys)"
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
      data-testid="split-handle"
    />
  );
}
