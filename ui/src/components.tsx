// Small pieces every page uses: loading and error states, the API error box, the empty state, the
// token dialog, and the data-loading hook.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type ApiError, setTokenAsker, toApiError } from "./api.js";

export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload()); a stale answer never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (e: unknown) => mine === seq.current && setState({ error: toApiError(e), loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function ErrorBox(props: { error: ApiError | undefined; children?: ComponentChildren }) {
  if (!props.error) return null;
  return (
    <div class="error" role="alert" data-testid="api-error" data-code={props.error.code}>
      <strong class="code">{props.error.code}</strong> <span class="message">{props.error.message}</span>
      {props.children}
    </div>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return (
    <div class="empty" data-testid="empty-state">
      {props.children}
    </div>
  );
}

/** A shell command to copy. */
export function Cmd(props: { children: string }) {
  return <code class="cmd">{props.children}</code>;
}

/**
 * The dialog that asks for MLOPS_API_TOKEN when a change was refused (UNAUTHENTICATED). Mounted once;
 * the API layer calls it through setTokenAsker.
 */
export function TokenDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [reason, setReason] = useState("");
  const pending = useRef<((token: string | undefined) => void) | undefined>(undefined);
  useEffect(() => {
    setTokenAsker(
      (why) =>
        new Promise((resolve) => {
          pending.current?.(undefined);
          pending.current = resolve;
          setReason(why);
          if (input.current) input.current.value = "";
          dialog.current?.showModal();
          input.current?.focus();
        }),
    );
  }, []);
  const finish = (token: string | undefined) => {
    const resolve = pending.current;
    pending.current = undefined;
    dialog.current?.close();
    resolve?.(token?.trim() || undefined);
  };
  return (
    <dialog
      ref={dialog}
      class="token-dialog"
      aria-labelledby="token-title"
      onCancel={() => finish(undefined)}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          finish(input.current?.value);
        }}
      >
        <h2 id="token-title">API token needed</h2>
        <p class="muted">{reason}</p>
        <p>
          This server has <code>MLOPS_API_TOKEN</code> set: changes need it. It is kept for this tab only.
        </p>
        <label>
          Token{" "}
          <input ref={input} type="password" name="token" autocomplete="off" data-testid="token-input" />
        </label>
        <div class="actions">
          <button type="submit" data-testid="token-submit">
            Use token
          </button>
          <button type="button" onClick={() => finish(undefined)}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** A button that asks "really?" in place before it acts (no native confirm dialog). */
export function ConfirmButton(props: {
  label: string;
  confirm: string;
  onConfirm: () => void;
  disabled?: boolean;
  title?: string;
  testId?: string;
}) {
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return (
      <button
        type="button"
        class="danger"
        disabled={props.disabled}
        title={props.title}
        data-testid={props.testId}
        onClick={() => setArmed(true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="danger"
        data-testid={props.testId ? `${props.testId}-confirm` : undefined}
        onClick={() => {
          setArmed(false);
          props.onConfirm();
        }}
      >
        {props.confirm}
      </button>
      <button type="button" onClick={() => setArmed(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Runs a mutation, keeping its error for display; returns whether it succeeded. */
export function useAction(): [
  (fn: () => Promise<unknown>) => Promise<boolean>,
  ApiError | undefined,
  boolean,
] {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(toApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return [run, error, busy];
}
