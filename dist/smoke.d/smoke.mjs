// The installed npm packages against `npx enduco sandbox`: OAuth flow, zones, plans, upload,
// revoke. Run by dist/smoke inside a Debian 12 root without Rust or a C compiler.
import { spawn } from 'node:child_process'
import http from 'node:http'
import { createInterface } from 'node:readline'
import { EnducoClient, MemoryTokenStore } from 'enduco'

// The package's `enduco` command (what `npx enduco` runs).
const sandbox = spawn('node_modules/.bin/enduco', ['sandbox', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
try {
  const line = await new Promise((resolve) => createInterface({ input: sandbox.stdout }).once('line', resolve))
  if (!line.startsWith('listening on ')) throw new Error(line)
  const url = line.slice('listening on '.length)
  const client = new EnducoClient({ clientId: 'sandbox-client', clientSecret: 'sandbox-secret', redirectUri: 'https://app.example/callback', environment: url })
  const request = client.authorizationRequest(['user_read', 'plans_read', 'workouts_write'])
  const callback = await new Promise((resolve, reject) =>
    http.get(request.url, (res) => { res.resume(); resolve(res.headers.location) }).on('error', reject))
  const tokens = await client.completeAuthorization(request, callback)
  const session = client.session(new MemoryTokenStore(tokens))
  const zones = await session.intensityZones()
  const plans = await session.upcomingPlans(7)
  const result = await session.uploadWorkout(process.argv[2])
  await session.revoke()
  console.log(`node smoke: user ${zones.userId}, ${zones.zones.length} zone tables, ${plans.length} planned workouts, upload ${result.id} (${result.status}), revoked`)
} finally {
  sandbox.kill()
  sandbox.stdout.destroy()
}
