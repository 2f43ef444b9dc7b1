/** Load something asynchronously with loading / error / data states, and reload on demand. */

import { useCallback, useEffect, useRef, useState } from "react";
import { messageOf } from "../api/errors";

export interface AsyncState<T> {
  data: T | null;
  loading: boolean;
  error: string | null;
  errorCode: string | null;
  reload: () => Promise<void>;
  /** Replace the data locally (after a write that returned the new value). */
  set: (data: T) => void;
}

export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [errorCode, setErrorCode] = useState<string | null>(null);
  const current = useRef<AbortController | null>(null);

  const run = useCallback(async () => {
    current.current?.abort();
    const ctl = new AbortController();
    current.current = ctl;
    setLoading(true);
    try {
      const value = await load(ctl.signal);
      if (ctl.signal.aborted) return;
      setData(value);
      setError(null);
      setErrorCode(null);
    } catch (e) {
      if (ctl.signal.aborted) return;
      setError(messageOf(e));
      setErrorCode((e as { code?: string }).code ?? null);
    } finally {
      if (!ctl.signal.aborted) setLoading(false);
    }
  }, deps);

  useEffect(() => {
    void run();
    return () => current.current?.abort();
  }, [run]);

  return { data, loading, error, errorCode, reload: run, set: setData };
}
