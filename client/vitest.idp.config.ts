// The client's Cognito module against a running identity provider (see idp-tests/).
import { defineConfig } from "vitest/config";

export default defineConfig({ test: { include: ["idp-tests/**/*.test.ts"], environment: "node" } });
