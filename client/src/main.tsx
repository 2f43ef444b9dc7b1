/** Entry point: load /config.json, then start the app (or explain why it cannot start). */

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { AuthProvider } from "./auth/AuthContext";
import { loadConfig } from "./config";
import { upgradeLegacyHash } from "./router";
import "./styles/base.css";
import "./styles/pages.css";
import "./styles/chart.css";

upgradeLegacyHash();
const root = createRoot(document.getElementById("root")!);

loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <AuthProvider config={config}>
          <App />
        </AuthProvider>
      </StrictMode>,
    ),
  (error: Error) =>
    root.render(
      <main className="page" id="main" tabIndex={-1}>
        <h1 className="page-title">The app could not start</h1>
        <div className="alert alert-error" role="alert">
          {error.message}
        </div>
      </main>,
    ),
);
