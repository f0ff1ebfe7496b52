import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../server/routing/breaker.ts";
import { retryDelayMs } from "../../server/routing/retry.ts";

describe("CircuitBreaker", () => {
  it("opens after consecutive failures, lets one trial through after the cooldown, then closes", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 });
    breaker.recordFailure(0);
    breaker.recordFailure(0);
    expect(breaker.tryAcquire(0)).toBe(true);
    breaker.recordFailure(10);
    expect(breaker.state(10)).toBe("open");
    expect(breaker.tryAcquire(500)).toBe(false);
    expect(breaker.tryAcquire(1010)).toBe(true);
    expect(breaker.state(1010)).toBe("half-open");
    expect(breaker.tryAcquire(1011)).toBe(false);
    breaker.recordSuccess();
    expect(breaker.state(1012)).toBe("closed");
    expect(breaker.tryAcquire(1012)).toBe(true);
  });

  it("reopens when the trial call fails", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100 });
    breaker.recordFailure(0);
    expect(breaker.tryAcquire(100)).toBe(true);
    breaker.recordFailure(100);
    expect(breaker.state(150)).toBe("open");
    expect(breaker.tryAcquire(150)).toBe(false);
  });

  it("a success resets the failure count", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100 });
    breaker.recordFailure(0);
    breaker.recordSuccess();
    breaker.recordFailure(0);
    expect(breaker.state(0)).toBe("closed");
  });
});

describe("retryDelayMs", () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

  it("uses full jitter under an exponential ceiling", () => {
    expect(retryDelayMs(policy, 1, undefined, () => 0.999)).toBe(100);
    expect(retryDelayMs(policy, 2, undefined, () => 0.5)).toBe(100);
    expect(retryDelayMs(policy, 3, undefined, () => 0.999)).toBe(400);
    expect(retryDelayMs(policy, 10, undefined, () => 0.999)).toBe(999);
    expect(retryDelayMs(policy, 1, undefined, () => 0)).toBe(0);
  });

  it("honours retry-after, and gives up when it is longer than the policy allows", () => {
    expect(retryDelayMs(policy, 1, 700)).toBe(700);
    expect(retryDelayMs(policy, 1, 5000)).toBeUndefined();
  });
});
