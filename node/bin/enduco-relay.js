#!/usr/bin/env node
'use strict'
// `enduco-relay`: the token relay on node:http (docs/relay.md), for apps that cannot keep the
// client secret. The secret comes from ENDUCO_CLIENT_SECRET only (a command-line argument would
// show in `ps`). The first line on stdout is `listening on http://HOST:PORT`; request lines
// (method, path, status; never a body) go to stderr.
//
//   ENDUCO_CLIENT_SECRET=… node bin/enduco-relay.js --port 8787 --environment beta --client-id ID

const http = require('node:http')
const { parseArgs } = require('node:util')
const { TokenRelay, EnducoError } = require('../index.js')

const usage = `usage: enduco-relay [--host 127.0.0.1] [--port 8787] [--environment beta|production|URL]
                    [--client-id ID] [--user-agent TEXT] [--quiet]
The client secret is read from ENDUCO_CLIENT_SECRET; the client id may come from ENDUCO_CLIENT_ID.`

function fail(message) {
  process.stderr.write(`enduco-relay: ${message}\n${usage}\n`)
  process.exit(2)
}

let values
try {
  ;({ values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8787' },
      environment: { type: 'string', default: process.env.ENDUCO_ENVIRONMENT || 'beta' },
      'client-id': { type: 'string', default: process.env.ENDUCO_CLIENT_ID || '' },
      'user-agent': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }))
} catch (error) {
  fail(error.message)
}
if (values.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not ${values.port}`)
if (!values['client-id']) fail('no client id: pass --client-id or set ENDUCO_CLIENT_ID')
const secret = process.env.ENDUCO_CLIENT_SECRET || ''
if (!secret) fail('no client secret: set ENDUCO_CLIENT_SECRET')

let relay
try {
  relay = new TokenRelay({
    clientId: values['client-id'],
    clientSecret: secret,
    environment: values.environment,
    userAgent: values['user-agent'],
  })
} catch (error) {
  if (error instanceof EnducoError) fail(error.message)
  throw error
}

const handle = relay.handler()
const server = http.createServer((req, res) => {
  if (!values.quiet) {
    res.on('finish', () => {
      const path = String(req.url ?? '').split('?')[0]
      process.stderr.write(`${new Date().toISOString()} ${req.socket.remoteAddress} ${req.method} ${path} ${res.statusCode}\n`)
    })
  }
  handle(req, res)
})
server.on('error', (error) => fail(error.message))
server.listen(port, values.host, () => {
  const { address, port: bound } = server.address()
  const host = address.includes(':') ? `[${address}]` : address
  process.stdout.write(`listening on http://${host}:${bound}\n`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close()
    server.closeAllConnections?.()
    process.exit(0)
  })
}
