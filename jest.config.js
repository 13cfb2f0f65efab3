/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Every core: jest's default leaves one free, one worker on a 2-core machine (figures in
  // docs/performance.md, "Where synth time goes").
  maxWorkers: '100%',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  snapshotSerializers: ['<rootDir>/test/asset-hash-serializer.ts'],
};
