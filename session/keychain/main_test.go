package keychain

import (
	"os"
	"testing"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m)) }
