/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` proxies the API, the local IdP and config.json to a running `votes serve`.
const backend = process.env.VOTES_URL ?? "http://127.0.0.1:8000";
const proxied = ["/config.json", "/cognito", "/polls", "/voters", "/health"];

export default defineConfig({
  base: "./",
  plugins: [react()],
  // amazon-cognito-identity-js pulls in the `buffer` package, which reads Node's `global`.
  define: { global: "globalThis" },
  build: { outDir: "dist", sourcemap: false, target: "es2022" },
  // Keep the browser's Host so config.json points the app back at this dev server (same origin).
  server: { proxy: Object.fromEntries(proxied.map((p) => [p, { target: backend, changeOrigin: false }])) },
  test: {
    environment: "happy-dom",
    setupFiles: ["tests/setup.ts"],
    include: ["tests/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
