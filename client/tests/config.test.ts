import { describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../src/config";

const BASE = "http://localhost:8000/#/polls";
const good = {
  apiUrl: "",
  region: "us-east-1",
  userPoolId: "local_abc123",
  userPoolClientId: "client1",
  cognitoEndpoint: "/cognito",
  liveResults: "sse",
};

describe("parseConfig", () => {
  it("resolves relative URLs against the page", () => {
    const c = parseConfig(good, BASE);
    expect(c.apiUrl).toBe("http://localhost:8000");
    expect(c.cognitoEndpoint).toBe("http://localhost:8000/cognito");
    expect(c.liveResults).toBe("sse");
  });

  it("keeps an absolute API URL and treats a missing endpoint as real Cognito", () => {
    const c = parseConfig(
      { ...good, apiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/", cognitoEndpoint: null, liveResults: "poll" },
      BASE,
    );
    expect(c.apiUrl).toBe("https://abc.execute-api.eu-west-1.amazonaws.com");
    expect(c.cognitoEndpoint).toBeNull();
    expect(c.liveResults).toBe("poll");
  });

  it("defaults liveResults to polling", () => {
    const { liveResults, ...rest } = good;
    void liveResults;
    expect(parseConfig(rest, BASE).liveResults).toBe("poll");
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ ...good, userPoolId: "" }, /userPoolId/],
    [{ ...good, userPoolClientId: 3 }, /userPoolClientId/],
    [{ ...good, liveResults: "websocket" }, /liveResults/],
    [{ ...good, cognitoEndpoint: 5 }, /cognitoEndpoint/],
  ])("rejects %j", (raw, message) => {
    expect(() => parseConfig(raw, BASE)).toThrow(message);
  });
});

describe("loadConfig", () => {
  it("fetches config.json next to the page, uncached", async () => {
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify(good)));
    const c = await loadConfig(fetchImpl as unknown as typeof fetch, "http://localhost:8000/index.html#/polls/x");
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
