import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterFor, run } from "./harness.ts";
import { loadFixture, startWireServer, type WireServer } from "./server.ts";

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

describe("SSE decoding through the SDK", () => {
  it("a multi-byte UTF-8 character split across two TCP writes arrives intact", async () => {
    // Every content line of qwen-max is Chinese; each is written in two parts,
    // the first ending after the lead byte of its first multi-byte character.
    server.script({ kind: "stream", provider: "qwen", fixture: "qwen-max", splitMultibyte: true });
    const result = await run(adapterFor(server, "qwen"));
    expect(result.error).toBeUndefined();
    expect(result.text).toBe("我是来自阿里云的超大规模语言模型，我叫通义千问。");
    expect(result.text).not.toContain("\uFFFD");
  });

  it("SSE comment lines (DeepSeek's `: keep-alive`) are ignored", async () => {
    const lines = loadFixture("deepseek-chat");
    expect(lines.slice(0, 2)).toEqual([": keep-alive", ": keep-alive"]);
    server.script({ kind: "stream", provider: "deepseek", fixture: "deepseek-chat" });
    const result = await run(adapterFor(server, "deepseek"));
    expect(result.error).toBeUndefined();
    expect(result.text).toBe("Cache hits are cheaper.");
    expect(result.finish?.reason).toBe("stop");
  });
});
