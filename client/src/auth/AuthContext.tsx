/** Who is signed in, the API client acting for them, and voter registration after sign-in. */

import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { ApiClient } from "../api/client";
import { ApiError, messageOf } from "../api/errors";
import type { AppConfig } from "../config";
import { CognitoAuth, type Session } from "./session";

export type AuthStatus = "checking" | "signed-out" | "registering" | "ready" | "register-failed";

export interface AuthValue {
  config: AppConfig;
  status: AuthStatus;
  session: Session | null;
  error: string | null;
  api: ApiClient;
  token: () => Promise<string | null>;
  signIn: (email: string, password: string) => Promise<void>;
  signUp: (email: string, name: string, password: string) => Promise<{ confirmed: boolean }>;
  confirm: (email: string, code: string) => Promise<void>;
  signOut: () => void;
  retryRegistration: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

interface Props {
  config: AppConfig;
  children: ReactNode;
  /** Injected in tests; built from the config otherwise. */
  auth?: CognitoAuth;
}

export function AuthProvider({ config, children, auth: injected }: Props) {
  const auth = useMemo(() => injected ?? new CognitoAuth(config), [config, injected]);
  const [status, setStatus] = useState<AuthStatus>("checking");
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);

  const token = useCallback(async () => {
    const s = await auth.current();
    if (!s) {
      setSession(null);
      setStatus("signed-out");
      return null;
    }
    return s.accessToken;
  }, [auth]);
  const expire = useCallback(() => {
    auth.signOut();
    setSession(null);
    setError("Your session has expired. Please sign in again.");
    setStatus("signed-out");
  }, [auth]);
  const api = useMemo(
    () => new ApiClient(config.apiUrl, token, undefined, expire),
    [config.apiUrl, token, expire],
  );

  const register = useCallback(
    async (s: Session) => {
      setSession(s);
      setStatus("registering");
      setError(null);
      try {
        await api.registerVoter(s.name);
        setStatus("ready");
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return; // `expire` signed them out
        setError(messageOf(e));
        setStatus("register-failed");
      }
    },
    [api],
  );

  useEffect(() => {
    let live = true;
    void auth.current().then((s) => {
      if (!live) return;
      if (s) void register(s);
      else setStatus("signed-out");
    });
    return () => {
      live = false;
    };
  }, [auth, register]);

  const value = useMemo<AuthValue>(
    () => ({
      config,
      status,
      session,
      error,
      api,
      token,
      signIn: async (email, password) => {
        setError(null);
        await register(await auth.signIn(email, password));
      },
      signUp: (email, name, password) => auth.signUp(email, name, password),
      confirm: (email, code) => auth.confirm(email, code),
      signOut: () => {
        auth.signOut();
        setSession(null);
        setError(null);
        setStatus("signed-out");
      },
      retryRegistration: () => {
        if (session) void register(session);
      },
    }),
    [config, status, session, error, api, token, auth, register],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
