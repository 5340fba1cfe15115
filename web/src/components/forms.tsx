// Small pieces every form uses: a labelled input, and the error line under a form.
import { JSX } from 'preact';

// An error said where the form is, and read out by screen readers.
export function ErrorText({ text }: { text: string }) {
  if (!text) return null;
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'onInput' | 'value'>;

// <label>Label <input/> <small>hint</small></label>, with the value as a string.
export function Field(props: InputProps & { label: string; value: string; onValue: (v: string) => void; hint?: string }) {
  const { label, value, onValue, hint, ...input } = props;
  return (
    <label>
      {label}
      <input {...input} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
      {hint && <small>{hint}</small>}
    </label>
  );
}
