/** Engine tests run in virtual time (ManualClock); integration tests use real loopback sockets and files. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }],
    // The Kafka client is published as ES modules only (see test/esm-to-cjs.js).
    "/node_modules/@platformatic/.+\\.js$": "<rootDir>/test/esm-to-cjs.js",
  },
  transformIgnorePatterns: ["/node_modules/(?!@platformatic/)"],
  testTimeout: 60000,
};
