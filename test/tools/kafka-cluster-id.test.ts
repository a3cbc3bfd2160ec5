import { clusterId } from "../../engine/tools/kafka-broker";

// CI once failed to start the broker because a random id began with "-" and the storage tool's
// argument parser read it as an option. One id in 64 does; 20,000 draws meet ~300 of them.
describe("startKafka's cluster id", () => {
  it("is 22 base64url characters and never starts with a dash", () => {
    for (let i = 0; i < 20_000; i++) {
      const id = clusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
