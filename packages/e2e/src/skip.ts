// Whether a balancer's tests can run here: outside CI a missing binary skips them with a message;
// in CI (`process.env.CI`) it must fail, so a broken install step cannot turn the proof green.
import { findBinary } from '../../verify/src/harness';

export function describeWith(binary: 'haproxy' | 'nginx'): jest.Describe {
  if (findBinary(binary) !== undefined || process.env.CI) return describe;
  console.warn(`skipping the ${binary} end-to-end tests: ${binary} is not installed (apt-get install -y ${binary})`);
  return describe.skip;
}
