// The spawn planner, table-driven: one row per situation spawn can meet —
// what was observed on the engine and the options — and the steps it runs,
// in order, with the outcome the result will report. Rows that stop short of
// an outcome show where the plan waits for what a step will observe.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSpawn, type SpawnPlan, type SpawnState } from '../../src/core/spawn/plan.js';

const base: SpawnState = { force: false, rebuild: 'auto', existing: 'none' };
const CREATE = ['prepare-image', 'build-spec', 'ensure-volume', 'create-container'] as const;
const REPLACE = ['prepare-image', 'remove-old', 'build-spec', 'ensure-volume', 'create-container'] as const;
const UPLOAD_AND_START = ['check-container', 'upload', 'start', 'verify-running', 'run-hooks'] as const;
const KEEP_FILES_AND_START = ['check-container', 'sync-config', 'start', 'verify-running', 'run-hooks'] as const;

const rows: Array<[situation: string, state: Partial<SpawnState>, expected: SpawnPlan]> = [
  // No container for the project.
  ['no container: the plan reaches the create, whose answer decides the rest', {}, { steps: [...CREATE] }],
  ['no container, a new volume (or one without a finished upload): upload, then start', { createAnswer: 'created', volumeUploaded: false }, { steps: [...CREATE, ...UPLOAD_AND_START], outcome: 'created' }],
  ['no container, a volume that holds a finished upload: its files are kept', { createAnswer: 'created', volumeUploaded: true }, { steps: [...CREATE, ...KEEP_FILES_AND_START], outcome: 'created' }],
  ['no container, created: the plan waits for the check of the new container', { createAnswer: 'created' }, { steps: [...CREATE, 'check-container'] }],
  ['the name taken at create (a concurrent spawn won): wait for it', { createAnswer: 'name-taken' }, { steps: [...CREATE, 'wait-for-name-holder'] }],
  ['the name holder runs: its container is the result', { createAnswer: 'name-taken', nameHolder: 'running' }, { steps: [...CREATE, 'wait-for-name-holder', 'use-other'], outcome: 'reused' }],
  ['the name holder removed its container: fail', { createAnswer: 'name-taken', nameHolder: 'gone' }, { steps: [...CREATE, 'wait-for-name-holder', 'other-failed'] }],
  ['the name holder never finished: fail', { createAnswer: 'name-taken', nameHolder: 'stale' }, { steps: [...CREATE, 'wait-for-name-holder', 'other-failed'] }],
  ['--force and --rebuild change nothing without a container', { force: true, rebuild: 'always', createAnswer: 'created', volumeUploaded: false }, { steps: [...CREATE, ...UPLOAD_AND_START], outcome: 'created' }],

  // A container another spawn is creating, or left unfinished.
  ['a container being created by a live spawn: wait for it', { existing: 'unfinished' }, { steps: ['wait-for-other'] }],
  ['that spawn finished: its container is the result', { existing: 'unfinished', unfinishedPeer: 'running' }, { steps: ['wait-for-other', 'use-other'], outcome: 'reused' }],
  ['that spawn failed and removed it: create as if there had been none', { existing: 'unfinished', unfinishedPeer: 'gone', createAnswer: 'created', volumeUploaded: false }, { steps: ['wait-for-other', ...CREATE, ...UPLOAD_AND_START], outcome: 'created' }],
  ['that spawn died while waited for: take over, replacing its container', { existing: 'unfinished', unfinishedPeer: 'stale', createAnswer: 'created', volumeUploaded: false }, { steps: ['wait-for-other', 'replace', ...REPLACE, ...UPLOAD_AND_START], outcome: 'rebuilt', reason: 'unfinished' }],
  ['left unfinished by a spawn that ended: replaced at once, no marker read, no drift check', { existing: 'abandoned', createAnswer: 'created', volumeUploaded: true }, { steps: ['replace', ...REPLACE, ...KEEP_FILES_AND_START], outcome: 'rebuilt', reason: 'unfinished' }],
  ['left unfinished, then the name taken at create', { existing: 'abandoned', createAnswer: 'name-taken', nameHolder: 'running' }, { steps: ['replace', ...REPLACE, 'wait-for-name-holder', 'use-other'], outcome: 'reused', reason: 'unfinished' }],

  // A container that was started once.
  ['running: the plan reads its volume marker first', { existing: 'running' }, { steps: ['read-marker'] }],
  ['running, marker read: the drift check decides', { existing: 'running', existingUploaded: true }, { steps: ['read-marker', 'check-drift'] }],
  ['running, unchanged: reused as it is', { existing: 'running', existingUploaded: true, configChanged: false }, { steps: ['read-marker', 'check-drift', 'reuse', 'finish-hooks'], outcome: 'reused', reason: 'unchanged' }],
  ['stopped, unchanged: started', { existing: 'stopped', existingUploaded: true, configChanged: false }, { steps: ['read-marker', 'check-drift', 'start-existing', 'finish-hooks'], outcome: 'started', reason: 'unchanged' }],
  ['running, its upload did not finish: the upload is resumed', { existing: 'running', existingUploaded: false, configChanged: false }, { steps: ['read-marker', 'check-drift', 'reuse', 'resume-upload', 'finish-hooks'], outcome: 'reused', reason: 'unchanged' }],
  ['stopped, its upload did not finish: started, then the upload resumed', { existing: 'stopped', existingUploaded: false, configChanged: false }, { steps: ['read-marker', 'check-drift', 'start-existing', 'resume-upload', 'finish-hooks'], outcome: 'started', reason: 'unchanged' }],
  ['changed: rebuilt on its volume', { existing: 'running', existingUploaded: true, configChanged: true, createAnswer: 'created', volumeUploaded: true }, { steps: ['read-marker', 'check-drift', 'replace', ...REPLACE, ...KEEP_FILES_AND_START], outcome: 'rebuilt', reason: 'drift' }],
  ['changed, stopped: rebuilt too', { existing: 'stopped', existingUploaded: true, configChanged: true, createAnswer: 'created', volumeUploaded: true }, { steps: ['read-marker', 'check-drift', 'replace', ...REPLACE, ...KEEP_FILES_AND_START], outcome: 'rebuilt', reason: 'drift' }],
  ['changed, --no-rebuild: reused anyway', { rebuild: 'never', existing: 'running', existingUploaded: true, configChanged: true }, { steps: ['read-marker', 'check-drift', 'reuse', 'finish-hooks'], outcome: 'reused', reason: 'no-rebuild' }],
  ['changed, --no-rebuild, stopped, upload unfinished', { rebuild: 'never', existing: 'stopped', existingUploaded: false, configChanged: true }, { steps: ['read-marker', 'check-drift', 'start-existing', 'resume-upload', 'finish-hooks'], outcome: 'started', reason: 'no-rebuild' }],
  ['unchanged, --no-rebuild: reused', { rebuild: 'never', existing: 'running', existingUploaded: true, configChanged: false }, { steps: ['read-marker', 'check-drift', 'reuse', 'finish-hooks'], outcome: 'reused', reason: 'unchanged' }],
  ['unchanged, --rebuild (or pks devcontainer rebuild): rebuilt', { rebuild: 'always', existing: 'running', existingUploaded: true, configChanged: false, createAnswer: 'created', volumeUploaded: true }, { steps: ['read-marker', 'check-drift', 'replace', ...REPLACE, ...KEEP_FILES_AND_START], outcome: 'rebuilt', reason: 'rebuild' }],
  ['--rebuild, its upload did not finish: rebuilt, the files uploaded into the kept volume', { rebuild: 'always', existing: 'stopped', existingUploaded: false, configChanged: true, createAnswer: 'created', volumeUploaded: false }, { steps: ['read-marker', 'check-drift', 'replace', ...REPLACE, ...UPLOAD_AND_START], outcome: 'rebuilt', reason: 'rebuild' }],
  ['--force: replaced without a drift check (no question about edits made inside)', { force: true, existing: 'running', existingUploaded: true, createAnswer: 'created', volumeUploaded: true }, { steps: ['read-marker', 'replace', ...REPLACE, ...KEEP_FILES_AND_START], outcome: 'rebuilt', reason: 'force' }],
  ['--force wins over --no-rebuild', { force: true, rebuild: 'never', existing: 'stopped', existingUploaded: true }, { steps: ['read-marker', 'replace', ...REPLACE], reason: 'force' }],
  ['replacing, the name taken at create by a concurrent spawn that failed', { existing: 'running', existingUploaded: true, configChanged: true, createAnswer: 'name-taken', nameHolder: 'gone' }, { steps: ['read-marker', 'check-drift', 'replace', ...REPLACE, 'wait-for-name-holder', 'other-failed'], reason: 'drift' }],
];

describe('planSpawn', () => {
  for (const [situation, state, expected] of rows) {
    it(situation, () => {
      assert.deepEqual(planSpawn({ ...base, ...state }), expected);
    });
  }

  it('a plan only grows as observations come in: the steps already run stay its first ones', () => {
    for (const [situation, state] of rows) {
      const full = planSpawn({ ...base, ...state }).steps;
      // Take the observations away again, last made first.
      const order = ['volumeUploaded', 'nameHolder', 'createAnswer', 'configChanged', 'existingUploaded', 'unfinishedPeer'] as const;
      let partial: Partial<SpawnState> = { ...state };
      for (const key of order) {
        const { [key]: _dropped, ...rest } = partial;
        partial = rest;
        const shorter = planSpawn({ ...base, ...partial }).steps;
        assert.deepEqual(full.slice(0, shorter.length), shorter, `${situation}, without ${key}`);
      }
    }
  });
});
