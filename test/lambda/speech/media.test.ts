import { createHash } from 'node:crypto';
import {
  JOB_NAME_PATTERN,
  jobNameFor,
  keyCandidates,
  MAX_MEDIA_BYTES,
  mediaFormatOf,
  rejectionReason,
} from '../../../lambda/speech/media';

const EXECUTION = 'a1b2c3d4-0000-4000-8000-000000000001';
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:execution:SpeechChainStateMachine-AbCd';
const arnOf = (name: string, machine = MACHINE) => `${machine}:${name}`;
const digestOf = (name: string, machine = MACHINE) => createHash('sha256').update(arnOf(name, machine)).digest('hex').slice(0, 16);

describe('jobNameFor', () => {
  it.each([
    ['media/interview.mp3', 'interview'],
    ['media/Ünïcödé räksmörgås.wav', 'Unicode-raksmorgas'],
    ['media/日本語の会議.m4a', 'media'],
    ['media/"quoted" name; DROP TABLE.flac', 'quoted-name-DROP-TABLE'],
    ['media/  spaces   and\ttabs .ogg', 'spaces-and-tabs'],
    ['media/.hidden', 'hidden'],
    ['media/no-extension', 'no-extension'],
    ['media/dots...in..name.mp4', 'dots...in..name'],
  ])('%s -> a valid name: readable stem %s, the execution name, a digest of the execution ARN', (key, stem) => {
    const name = jobNameFor(key, EXECUTION, arnOf(EXECUTION));
    expect(name).toMatch(JOB_NAME_PATTERN);
    expect(name).toBe(`${stem}-${EXECUTION}-${digestOf(EXECUTION)}`);
  });

  it('cuts very long keys to 200 characters, keeping the execution part and the digest', () => {
    const name = jobNameFor(`media/${'x'.repeat(1000)}.mp3`, EXECUTION, arnOf(EXECUTION));
    expect(name).toHaveLength(200);
    expect(name).toMatch(JOB_NAME_PATTERN);
    expect(name.endsWith(`-${EXECUTION}-${digestOf(EXECUTION)}`)).toBe(true);
  });

  it.each([
    ['run(1)', 'run-1'],
    ['東京', '大阪'],
    ['réunion', 'reunion'],
    ['my run (2)', 'my-run-2'],
    ['☃', '☄'],
  ])('execution names that read the same (%s, %s) give different job names', (a, b) => {
    expect(jobNameFor('media/a.mp3', a, arnOf(a))).not.toBe(jobNameFor('media/a.mp3', b, arnOf(b)));
  });

  it('the same execution name on two state machines (two stacks in one account) gives different job names', () => {
    const other = 'arn:aws:states:eu-west-1:123456789012:execution:OtherStackStateMachine-XyZ1';
    expect(jobNameFor('media/a.mp3', 'run-1', arnOf('run-1'))).not.toBe(jobNameFor('media/a.mp3', 'run-1', arnOf('run-1', other)));
  });

  it('no collision over 20,000 generated execution names that sanitise alike, for one file', () => {
    // Every name below reduces to one of a few readable forms; only the digest tells them apart.
    const decorations = ['', '(', ')', ' ', '  ', '_', '-', '.', '☃', 'é', 'e\u0301', '東', '大', '/', '+', '%'];
    const names = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const a = decorations[i % decorations.length];
      const b = decorations[Math.floor(i / decorations.length) % decorations.length];
      names.add(`run${a}${Math.floor(i / 256)}${b}`);
    }
    const jobNames = new Set([...names].map((n) => jobNameFor('media/same file.mp3', n, arnOf(n))));
    for (const j of jobNames) {
      expect(j).toMatch(JOB_NAME_PATTERN);
    }
    expect(jobNames.size).toBe(names.size);
  });

  it('sanitises the execution name (names from the console may hold other characters)', () => {
    expect(jobNameFor('media/a.mp3', 'my run (2)', arnOf('my run (2)'))).toBe(`a-my-run-2-${digestOf('my run (2)')}`);
    expect(jobNameFor('media/a.mp3', '☃', arnOf('☃'))).toBe(`a-${digestOf('☃')}`);
  });

  it('never ends the stem on a separator after cutting', () => {
    const name = jobNameFor(`media/${'ab-'.repeat(100)}.mp3`, EXECUTION, arnOf(EXECUTION));
    expect(name).not.toMatch(/[-.]-/);
    expect(name).toMatch(JOB_NAME_PATTERN);
  });
});

describe('media formats', () => {
  it.each(['amr', 'flac', 'm4a', 'mp3', 'mp4', 'ogg', 'webm', 'wav'])('accepts .%s (any case)', (ext) => {
    expect(mediaFormatOf(`media/a.${ext}`)).toBe(ext);
    expect(mediaFormatOf(`media/a.${ext.toUpperCase()}`)).toBe(ext);
    expect(rejectionReason(`media/a.${ext}`, 1000)).toBeUndefined();
  });

  it('rejects other formats, empty files and files of 2 GB or more, with the reason', () => {
    expect(rejectionReason('media/notes.txt', 10)).toBe('Unsupported media format (.txt) for media/notes.txt: Transcribe accepts amr, flac, m4a, mp3, mp4, ogg, webm, wav');
    expect(rejectionReason('media/README', 10)).toMatch(/^Unsupported media format \(no extension\)/);
    expect(rejectionReason('media/a.mp3', 0)).toBe('Empty media file media/a.mp3 (0 bytes)');
    expect(rejectionReason('media/a.mp3', MAX_MEDIA_BYTES)).toMatch(/is 2147483648 bytes: Transcribe accepts files under 2 GB/);
    expect(rejectionReason('media/a.mp3', MAX_MEDIA_BYTES - 1)).toBeUndefined();
  });
});

describe('keyCandidates', () => {
  it('tries the key as received, then URL-decoded ("+" is a space)', () => {
    expect(keyCandidates('media/my+file%C3%A9.mp3')).toEqual(['media/my+file%C3%A9.mp3', 'media/my fileé.mp3']);
    expect(keyCandidates('media/plain.mp3')).toEqual(['media/plain.mp3']);
    expect(keyCandidates('media/100%.mp3')).toEqual(['media/100%.mp3']); // not an escape: used as is
  });
});
