import { describe, expect, it, vi } from "vitest";
import { COGNITO_DEFAULT_POLICY } from "../src/auth/passwordPolicy";
import { ConfigError, loadConfig, parseConfig } from "../src/config";

const BASE = "http://localhost:8000/polls/abc";
const POLICY = { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false };
const good = {
  apiUrl: "",
  region: "us-east-1",
  userPoolId: "local_abc123",
  userPoolClientId: "client1",
  cognitoEndpoint: "/cognito",
  realtime: { url: "ws://localhost:8000/event/realtime", httpUrl: "http://localhost:8000/event", namespace: "tallies" },
  passwordPolicy: POLICY,
};
const AWS_REALTIME = {
  url: "wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/event/realtime",
  httpUrl: "https://abc.appsync-api.eu-west-1.amazonaws.com/event",
  namespace: "tallies",
};

describe("parseConfig", () => {
  it("resolves relative URLs against the page", () => {
    const c = parseConfig(good, BASE);
    expect(c.apiUrl).toBe("http://localhost:8000");
    expect(c.cognitoEndpoint).toBe("http://localhost:8000/cognito");
    expect(c.realtime).toEqual(good.realtime);
  });

  it("keeps an absolute API URL and treats a missing endpoint as real Cognito", () => {
    const c = parseConfig(
      { ...good, apiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/", cognitoEndpoint: null, realtime: AWS_REALTIME },
      BASE,
    );
    expect(c.apiUrl).toBe("https://abc.execute-api.eu-west-1.amazonaws.com");
    expect(c.cognitoEndpoint).toBeNull();
    expect(c.realtime).toEqual(AWS_REALTIME);
  });

  it("takes the pool's password policy, or Cognito's default when there is none", () => {
    expect(parseConfig(good, BASE).passwordPolicy).toEqual(POLICY);
    const { passwordPolicy, ...rest } = good;
    void passwordPolicy;
    expect(parseConfig(rest, BASE).passwordPolicy).toEqual(COGNITO_DEFAULT_POLICY);
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ ...good, userPoolId: "" }, /userPoolId/],
    [{ ...good, userPoolClientId: 3 }, /userPoolClientId/],
    [{ ...good, realtime: undefined }, /realtime/],
    [{ ...good, realtime: { ...AWS_REALTIME, url: "https://not-a-socket/event/realtime" } }, /realtime/],
    [{ ...good, realtime: { ...AWS_REALTIME, httpUrl: "wss://x/event" } }, /realtime/],
    [{ ...good, realtime: { ...AWS_REALTIME, namespace: "a/b" } }, /realtime/],
    [{ ...good, cognitoEndpoint: 5 }, /cognitoEndpoint/],
    [{ ...good, passwordPolicy: { minimumLength: 8 } }, /passwordPolicy/],
  ])("rejects %j", (raw, message) => {
    expect(() => parseConfig(raw, BASE)).toThrow(message);
  });
});

describe("loadConfig", () => {
  it("fetches config.json at the root, uncached, from any route", async () => {
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify(good)));
    const c = await loadConfig(fetchImpl as unknown as typeof fetch, "http://localhost:8000/polls/x/present");
    expect(fetchImpl).toHaveBeenCalledWith("http://localhost:8000/config.json", { cache: "no-store" });
    expect(c.userPoolId).toBe("local_abc123");
  });

  it("explains HTTP, network and JSON failures", async () => {
    const notFound = vi.fn(async () => new Response("nope", { status: 404 }));
    await expect(loadConfig(notFound as unknown as typeof fetch, BASE)).rejects.toThrow(/HTTP 404/);
    const down = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(loadConfig(down as unknown as typeof fetch, BASE)).rejects.toBeInstanceOf(ConfigError);
    const garbage = vi.fn(async () => new Response("{not json"));
    await expect(loadConfig(garbage as unknown as typeof fetch, BASE)).rejects.toThrow(/not valid JSON/);
  });
});
