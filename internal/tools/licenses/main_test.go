package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// Every module the programs ship has its licence in the file, the ones
// Latch names in its README among them, each under its name.
func TestEveryShippedModuleHasItsLicence(t *testing.T) {
	t.Chdir("../../..") // the module root, where go list sees the programs
	mods, err := shippedModules()
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) < 10 {
		t.Fatalf("%d shipped modules: %v; want Fyne, go-keyring, zitadel and the rest", len(mods), mods)
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, m := range mods {
		if !strings.Contains(text, "\n"+m.path+" "+m.version+"\n") {
			t.Errorf("no section for %s %s", m.path, m.version)
		}
	}
	// The file is a preamble, then a rule, a module's name, a rule and its
	// licence, for each module.
	parts := strings.Split(text, "\n"+strings.Repeat("=", 72)+"\n")
	body := map[string]string{}
	for i := 1; i+1 < len(parts); i += 2 {
		path, _, _ := strings.Cut(parts[i], " ")
		body[path] = parts[i+1]
	}
	for path, words := range map[string]string{
		"fyne.io/fyne/v2":               "Redistribution and use in source and binary forms",
		"github.com/zalando/go-keyring": "Permission is hereby granted",
		"github.com/zitadel/oidc/v3":    "Apache License",
	} {
		if !strings.Contains(body[path], words) {
			t.Errorf("%s's licence does not hold %q", path, words)
		}
	}
	if _, err := os.Stat("LICENSE"); err != nil {
		t.Errorf("Latch's own LICENSE: %v", err)
	}
}
