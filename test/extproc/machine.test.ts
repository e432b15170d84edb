// The ext_proc stream machine, row by row: every phase × event has an expected next phase and
// actions, written out here independently of the transition function's shape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EVENTS, PHASES, transition, type Phase, type StreamEvent } from '../../src/extproc/index.js';

/** "next: action action" per event; phases list all twelve events. */
type Row = Record<StreamEvent, string>;

const SPURIOUS = 'closed: end_error release';
const STREAM_END = { failed: SPURIOUS, cancel: 'closed: release' } as const;
/** Every message is out of order unless a phase says otherwise. */
const MESSAGES_SPURIOUS = {
  request_headers: SPURIOUS,
  request_headers_end: SPURIOUS,
  request_body: SPURIOUS,
  response_headers: SPURIOUS,
  response_body: SPURIOUS,
  trailers: SPURIOUS,
  unknown_message: SPURIOUS,
} as const;
/** A waiting phase: the stream may end cleanly, trailers pass, anything out of order fails closed. */
const waiting = (row: Partial<Row>): Row => ({
  ...MESSAGES_SPURIOUS,
  continue: SPURIOUS,
  complete: SPURIOUS,
  half_close: 'closed: end_ok release',
  ...STREAM_END,
  ...row,
});
/** A working phase: only its work's outcome (or the stream's end) is expected. */
const working = (afterContinue: Phase): Row => ({
  ...MESSAGES_SPURIOUS,
  continue: `${afterContinue}: reply`,
  complete: 'closed: reply end_ok release',
  // An OK close before the reply would let the request through undecided.
  half_close: SPURIOUS,
  ...STREAM_END,
});

const TABLE: Record<Phase, Row> = {
  awaiting_request_headers: waiting({
    request_headers: 'deciding_request_headers: decide_request_headers',
    request_headers_end: 'deciding_request: decide_request_headers',
    response_headers: 'answering_response_headers: answer_response_headers',
    response_body: 'awaiting_request_headers: pass',
    trailers: 'awaiting_request_headers: pass',
  }),
  deciding_request_headers: working('awaiting_request_body'),
  awaiting_request_body: waiting({
    request_body: 'deciding_request: decide_request_body',
    response_headers: 'answering_response_headers: answer_response_headers',
    response_body: 'awaiting_request_body: pass',
    trailers: 'awaiting_request_body: pass',
  }),
  deciding_request: working('awaiting_response_headers'),
  awaiting_response_headers: waiting({
    response_headers: 'answering_response_headers: answer_response_headers',
    response_body: 'awaiting_response_headers: pass',
    trailers: 'awaiting_response_headers: pass',
  }),
  answering_response_headers: working('awaiting_response_body'),
  awaiting_response_body: waiting({
    response_body: 'answering_response_body: read_response_body',
    trailers: 'awaiting_response_body: pass',
  }),
  answering_response_body: working('awaiting_response_body'),
  closed: {
    request_headers: 'closed:',
    request_headers_end: 'closed:',
    request_body: 'closed:',
    response_headers: 'closed:',
    response_body: 'closed:',
    trailers: 'closed:',
    unknown_message: 'closed:',
    // Work that finishes after the stream closed hands in its holds: released at once.
    continue: 'closed: release',
    complete: 'closed: release',
    failed: 'closed: release',
    half_close: 'closed:',
    cancel: 'closed:',
  },
};

const show = (phase: Phase, event: StreamEvent) => {
  const t = transition(phase, event);
  return `${t.phase}:${t.actions.map((a) => ` ${a}`).join('')}`;
};

describe('ext_proc stream machine', () => {
  it('the table names every phase and event', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), [...PHASES].sort());
    for (const phase of PHASES) assert.deepEqual(Object.keys(TABLE[phase]).sort(), [...EVENTS].sort(), phase);
  });

  for (const phase of PHASES) {
    for (const event of EVENTS) {
      it(`${phase} × ${event} → ${TABLE[phase][event]}`, () => assert.equal(show(phase, event), TABLE[phase][event]));
    }
  }

  it('headers with a body wait for the body; headers that end the request are its final decision', () => {
    assert.equal(show('awaiting_request_headers', 'request_headers'), 'deciding_request_headers: decide_request_headers');
    assert.equal(show('deciding_request_headers', 'continue'), 'awaiting_request_body: reply');
    assert.equal(show('deciding_request', 'continue'), 'awaiting_response_headers: reply');
  });

  it('cancel while a decision is pending releases now, and the late decision releases its own holds', () => {
    assert.equal(show('deciding_request', 'cancel'), 'closed: release');
    assert.equal(show('closed', 'continue'), 'closed: release');
  });

  it('cancel after half-close is not an error', () => assert.equal(show('closed', 'cancel'), 'closed:'));

  it('every run of events enters closed once, releases on entry, and only late work releases after', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EVENTS), { maxLength: 30 }), (events) => {
        let phase: Phase = 'awaiting_request_headers';
        let closings = 0;
        for (const e of events) {
          const t = transition(phase, e);
          if (phase !== 'closed' && t.phase === 'closed') {
            closings++;
            assert.ok(t.actions.includes('release'), `${phase} × ${e} closes without releasing`);
          }
          if (phase === 'closed') assert.equal(t.phase, 'closed');
          if (phase === 'closed' && t.actions.length) assert.ok(['continue', 'complete', 'failed'].includes(e), `closed × ${e} acts`);
          phase = t.phase;
        }
        assert.ok(closings <= 1);
      }),
    );
  });
});
