import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter.ts';

type Events = { a: number; b: string };

class Probe extends Emitter<Events> {
  errors: string[] = [];
  protected listenerFailed(err: unknown, event: string): void {
    this.errors.push(`${event}: ${(err as Error).message}`);
  }
  fire<K extends keyof Events>(name: K, ev: Events[K]): void {
    this.emit(name, ev);
  }
  clear(): void {
    this.removeAllListeners();
  }
  keep(events: (keyof Events)[]): void {
    this.keepListeners(events);
  }
}

describe('transaction Emitter', () => {
  it('calls the listeners of the event in order, and only those', () => {
    const e = new Probe();
    const got: string[] = [];
    e.on('a', (n) => got.push(`a1:${n}`));
    e.on('b', (s) => got.push(`b:${s}`));
    e.on('a', (n) => got.push(`a2:${n}`));
    e.fire('a', 7);
    expect(got).toEqual(['a1:7', 'a2:7']);
  });

  it('off removes exactly that listener; a listener added during an emit waits for the next one', () => {
    const e = new Probe();
    const got: string[] = [];
    const first = (n: number) => {
      got.push(`first:${n}`);
      e.on('a', (m) => got.push(`late:${m}`));
    };
    e.on('a', first);
    e.fire('a', 1);
    expect(got).toEqual(['first:1']);
    e.off('a', first);
    e.fire('a', 2);
    expect(got).toEqual(['first:1', 'late:2']);
  });

  it('a listener removed or cleared during an emit does not disturb that emit; a throwing listener goes to listenerFailed', () => {
    const e = new Probe();
    const got: string[] = [];
    e.on('a', () => {
      e.clear();
      throw new Error('boom');
    });
    e.on('a', (n) => got.push(`second:${n}`));
    e.fire('a', 3);
    expect(got).toEqual(['second:3']);
    expect(e.errors).toEqual(['a: boom']);
    e.fire('a', 4);
    expect(got).toEqual(['second:3']);
  });

  it('keepListeners drops the listeners of every other event, in place for the next emit', () => {
    const e = new Probe();
    const got: string[] = [];
    e.on('a', (n) => got.push(`a1:${n}`));
    e.on('b', (s) => got.push(`b:${s}`));
    e.on('a', (n) => got.push(`a2:${n}`));
    e.keep(['a']);
    e.fire('b', 'x');
    e.fire('a', 5);
    expect(got).toEqual(['a1:5', 'a2:5']);
  });
});
