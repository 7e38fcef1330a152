// Planned workouts as device files (toFitWorkout, toZwo, toErg, toMrc) on the sandbox's week:
// the plain plan objects the session hands out go back into the core's writers.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'

import { InvalidInputError, MemoryTokenStore, toErg, toFitWorkout, toMrc, toZwo } from '../index.mjs'
import { authorizeAs, startSandbox } from './helpers.mjs'

let sandbox
let plans
let zones
before(async () => {
  sandbox = await startSandbox()
  const client = sandbox.client({ timeZone: 'Europe/Berlin' })
  const tokens = await authorizeAs(sandbox, client, 'athlete-1001')
  const session = await client.connect(new MemoryTokenStore(), tokens)
  plans = await session.trainingPlans('2026-03-23', '2026-03-29')
  zones = await session.intensityZones()
})
after(() => sandbox?.stop())

const byDay = (day) => plans.find((p) => new Date(`${p.date}T12:00:00Z`).getUTCDay() === day)

test('every workout of the week is a FIT workout file (type 5), rest days are refused', () => {
  assert.equal(plans.length, 7)
  for (const plan of plans) {
    if (plan.steps.length === 0) {
      assert.throws(() => toFitWorkout(plan, zones), (e) => e instanceof InvalidInputError && /rest day/.test(e.message))
      continue
    }
    const fit = toFitWorkout(plan, zones)
    assert.ok(Buffer.isBuffer(fit))
    assert.equal(fit.subarray(8, 12).toString('latin1'), '.FIT')
    assert.equal(fit.length, fit[0] + fit.readUInt32LE(4) + 2, 'header + data + CRC')
    // The first data message (after file_id's definition: 6 + 5 × 3 bytes) starts with the type.
    assert.equal(fit[fit[0] + 21 + 1], 5, 'file_id.type is workout')
    assert.ok(fit.includes(Buffer.from(plan.title, 'utf8')), 'the workout is named')
    // Without zones the same plan still exports: the sandbox sends explicit bounds.
    assert.equal(toFitWorkout(plan).length, fit.length)
  }
})

test('ZWO, ERG and MRC of the long ride add up to the plan', () => {
  const ride = byDay(6) // Saturday: nested repeats
  const zwo = toZwo(ride, zones)
  assert.match(zwo, /^<workout_file>/)
  assert.match(zwo, /<IntervalsT Repeat="2" OnDuration="300" OffDuration="300"/)
  let seconds = 0
  for (const [, attrs] of zwo.matchAll(/<(?:Warmup|Cooldown|SteadyState) ([^>]*)\/>/g)) {
    seconds += Number(/Duration="(\d+)"/.exec(attrs)[1])
  }
  for (const [, repeat, on, off] of zwo.matchAll(/<IntervalsT Repeat="(\d+)" OnDuration="(\d+)" OffDuration="(\d+)"/g)) {
    seconds += Number(repeat) * (Number(on) + Number(off))
  }
  assert.equal(seconds, ride.durationSeconds)
  for (const [text, column] of [[toErg(ride, zones), 'WATTS'], [toMrc(ride, zones), 'PERCENT']]) {
    assert.ok(text.includes(`MINUTES ${column}\n`))
    const rows = text.split('[COURSE DATA]\n')[1].split('[END COURSE DATA]')[0].trim().split('\n')
    const last = Number(rows.at(-1).split('\t')[0])
    assert.ok(Math.abs(last * 60 - ride.durationSeconds) < 0.1, `${column}: ${last} min`)
  }
  assert.ok(toErg(ride, zones).includes('FTP = 250\n'))
})

test('what a format cannot hold throws InvalidInputError naming the step', () => {
  const intervals = byDay(2) // Tuesday: cools down by heart rate
  assert.throws(
    () => toErg(intervals, zones),
    (e) => e instanceof InvalidInputError && e.code === 'invalid_input' &&
      e.message.includes('step 3 (cooldown): ERG needs a power target, this one is heart_rate'),
  )
  assert.throws(() => toZwo(byDay(3), zones), /cycling trainer format/)
  assert.throws(() => toMrc(byDay(6), null), /fraction of FTP/)
  assert.throws(() => toFitWorkout('not a plan'), (e) => e instanceof InvalidInputError && /toFitWorkout: plan/.test(e.message))
  assert.throws(() => toFitWorkout({ id: 'x' }), (e) => e instanceof InvalidInputError && /not a planned workout/.test(e.message))
  assert.throws(() => toErg(intervals, 42), /zones must be/)
})
