// Package agent is the person's agent: one long-lived process that holds
// their sessions in memory and hands out tokens over a socket that is
// theirs alone, so that a renewal's answer is stored when it comes,
// whoever asked for it and whether or not they still wait. The command
// line is its client ([Client]); `latch agent` runs it ([Server]).
//
// The protocol is one JSON request per connection, answered by JSON
// lines: zero or more notes (the keychain asks the person), then the
// answer. Every request carries the client's version; a headless agent of
// another version answers that it steps aside and exits, and the client
// starts its own.
package agent
