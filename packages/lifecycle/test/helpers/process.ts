// A fake process for the coordinator's in-process tests: signals through an emitter, exits recorded
// instead of taken.
import { EventEmitter } from 'node:events';
import type { ProcessLike } from '@lastcall/lifecycle';

export interface FakeProcess extends ProcessLike {
  emitter: EventEmitter;
  exits: number[];
}

export function fakeProcess(): FakeProcess {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    exits,
    exitCode: undefined,
    on: (event, listener) => emitter.on(event, listener),
    removeListener: (event, listener) => emitter.removeListener(event, listener),
    exit: (code) => void exits.push(code),
  };
}
