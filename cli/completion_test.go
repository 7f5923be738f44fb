package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The completion scripts load in bash and zsh, and complete commands,
// flags, subcommands and account names.
func TestCompletionScripts(t *testing.T) {
	w := newWorld(t, nil)
	w.config = filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(w.config, []byte("[accounts.work]\nissuer = \"https://id.example.test/\"\nclient_id = \"c\"\n[accounts.work.apis.stock]\naudience = \"https://stock.example.test/\"\n[apis.orders]\naudience = \"https://orders.example.test/\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := w.run("completion", "--names", "accounts"); code != 0 || out != "default\nwork\n" {
		t.Fatalf("completion --names accounts: exit %d, %q", code, out)
	}
	if code, out, _ := w.run("completion", "--names", "apis"); code != 0 || out != "orders\n" {
		t.Fatalf("completion --names apis: exit %d, %q", code, out)
	}
	if code, out, _ := w.run("completion", "--names", "apis", "--account=work"); code != 0 || out != "stock\n" {
		t.Fatalf("completion --names apis --account=work: exit %d, %q; want work's APIs", code, out)
	}
	// A latch on PATH that answers the names as this one does.
	bin := t.TempDir()
	script := "#!/bin/sh\ncase \"$*\" in\n*--account=work*) echo stock ;;\n*apis*) echo orders ;;\n*) printf 'default\\nwork\\n' ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(bin, "latch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, bashScript, _ := w.run("completion", "bash")
	_, zshScript, _ := w.run("completion", "zsh")
	dir := t.TempDir()
	for name, text := range map[string]string{"latch.bash": bashScript, "latch.zsh": zshScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// complete WORDS... prints what bash offers for the last word.
	complete := `complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _latch; printf '%s ' "${COMPREPLY[@]}"; echo; }
`
	for _, c := range []struct{ words, want string }{
		{"latch sw", "switch"},
		{"latch token --out", "--output"},
		{"latch token --output e", "env exec-credential"},
		{"latch switch w", "work"},
		{"latch --account ", "default work"},
		{"latch accounts re", "remove"},
		{"latch setup k", "kubectl"},
		{"latch token --name ", "orders"},
		{"latch token --account work --name ", "stock"},
		{"latch --account=work token --name ", "stock"},
	} {
		args := ""
		for _, word := range strings.Split(c.words, " ") {
			args += " " + shellQuoteForTest(word)
		}
		cmd := exec.Command("bash", "-c", "source "+filepath.Join(dir, "latch.bash")+"\n"+complete+"complete_words"+args)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("bash completes %q as %q (%v); want %q", c.words, strings.TrimSpace(string(out)), err, c.want)
		}
	}
	// zsh loads its script without a word on stderr.
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("no zsh: scripts/deps test installs it")
	}
	cmd := exec.Command("zsh", "-f", "-c", "autoload -U compinit && compinit -u; source "+filepath.Join(dir, "latch.zsh")+" && print -r -- ok")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("zsh loading the completion: %v: %s", err, out)
	}
	if code, _, errOut := w.run("completion", "tcsh"); code != 2 || !strings.Contains(errOut, "bash, zsh and fish") {
		t.Fatalf("completion tcsh: exit %d, %q", code, errOut)
	}
}
