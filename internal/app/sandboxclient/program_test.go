package sandboxclient

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// What latch-sandbox's exit status says comes back as the error it
// stands for, worded as latch-sandbox said it.
func TestExitStatusesCarryTheErrors(t *testing.T) {
	for _, kind := range []error{ErrAddrTaken, ErrCorruptState, os.ErrExist} {
		err := fmt.Errorf("starting: %w", kind)
		code := ExitCode(err)
		got := exitError(code, "what it said")
		if code <= 1 || !errors.Is(got, kind) || got.Error() != "what it said" {
			t.Errorf("%v: exit status %d came back as %v (matching: %t); want a status of its own, the same error and its words", kind, code, got, errors.Is(got, kind))
		}
	}
	if code := ExitCode(errors.New("disk full")); code != 1 {
		t.Errorf("another error's exit status is %d; want 1", code)
	}
	if got := exitError(1, "disk full"); errors.Is(got, ErrAddrTaken) || errors.Is(got, ErrCorruptState) || errors.Is(got, os.ErrExist) || got.Error() != "disk full" {
		t.Errorf("exit status 1 came back as %v; want its words and none of the named errors", got)
	}
	if code := ExitCode(nil); code != 0 {
		t.Errorf("no error's exit status is %d; want 0", code)
	}
}
