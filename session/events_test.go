package session

import "testing"

// A subscriber that unsubscribes after the Manager closed (an app that
// stops after its account was closed) is let go once, without a panic.
func TestUnsubscribeAfterClose(t *testing.T) {
	var ev events
	unsubscribe := ev.subscribe(func(Event) {})
	ev.closeAll()
	unsubscribe()
	unsubscribe()
	if len(ev.subs) != 0 {
		t.Fatalf("%d subscribers left; want none", len(ev.subs))
	}
}
