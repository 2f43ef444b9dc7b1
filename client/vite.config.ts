/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` proxies the API, the local IdP, config.json and the realtime WebSocket
// (/event/realtime) to a running `votes serve`.
const backend = process.env.VOTES_URL ?? "http://127.0.0.1:8000";
const proxied = ["/config.json", "/cognito", "/polls", "/voters", "/health"];

export default defineConfig({
  // Absolute asset URLs: the app's routes are paths (/polls/<id>), served by index.html.
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, target: "es2022" },
  server: {
    proxy: {
      ...Object.fromEntries(
        proxied.map((p) => [
          p,
          {
            target: backend,
            // Keep the browser's Host so config.json points the app back at this dev server.
            changeOrigin: false,
            // A browser navigating to a client route (/polls/<id>) gets the dev app, not the API.
            bypass: (req: { headers: { accept?: string } }) =>
              req.headers.accept?.includes("text/html") ? "/index.html" : undefined,
          },
        ]),
      ),
      "/event": { target: backend, changeOrigin: false, ws: true },
    },
  },
  test: {
    environment: "happy-dom",
    setupFiles: ["tests/setup.ts"],
    include: ["tests/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
