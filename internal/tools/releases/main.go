// Command releases writes AppStream metainfo with its releases made from
// CHANGELOG.md: scripts/package runs it on packaging's metainfo.
//
//	go run ./internal/tools/releases CHANGELOG.md METAINFO > OUT
//
// Each "## [VERSION] - DATE" heading of the changelog is a release, its
// list items its description; the metainfo's <releases> element is
// replaced by them, newest first, as the changelog lists them.
package main

import (
	"errors"
	"fmt"
	"html"
	"os"
	"regexp"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: releases CHANGELOG METAINFO")
		os.Exit(2)
	}
	changelog, err := os.ReadFile(os.Args[1])
	if err == nil {
		var metainfo []byte
		if metainfo, err = os.ReadFile(os.Args[2]); err == nil {
			var out string
			if out, err = withReleases(string(metainfo), string(changelog)); err == nil {
				_, err = os.Stdout.WriteString(out)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "releases:", err)
		os.Exit(1)
	}
}

// release is one release of the changelog.
type release struct {
	version, date string
	items         []string
}

// heading is a release's heading: "## [0.1.0] - 2026-12-07".
var heading = regexp.MustCompile(`^## \[([0-9][0-9A-Za-z.+-]*)\] - (\d{4}-\d{2}-\d{2})\s*$`)

// releases are the changelog's releases, as it lists them. An
// "Unreleased" section is not one.
func releases(changelog string) ([]release, error) {
	var list []release
	var current *release
	for line := range strings.Lines(changelog) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "## ") {
			current = nil
			if m := heading.FindStringSubmatch(line); m != nil {
				list = append(list, release{version: m[1], date: m[2]})
				current = &list[len(list)-1]
			}
			continue
		}
		if current == nil {
			continue
		}
		if item, ok := strings.CutPrefix(line, "- "); ok {
			current.items = append(current.items, strings.TrimSpace(item))
		} else if strings.HasPrefix(line, "  ") && len(current.items) > 0 && strings.TrimSpace(line) != "" {
			current.items[len(current.items)-1] += " " + strings.TrimSpace(line)
		}
	}
	if len(list) == 0 {
		return nil, errors.New("the changelog names no release (## [VERSION] - DATE)")
	}
	for _, r := range list {
		if len(r.items) == 0 {
			return nil, fmt.Errorf("the release %s says nothing it brought", r.version)
		}
	}
	return list, nil
}

// withReleases is metainfo with its <releases> element made from
// changelog.
func withReleases(metainfo, changelog string) (string, error) {
	list, err := releases(changelog)
	if err != nil {
		return "", err
	}
	start, end := strings.Index(metainfo, "<releases>"), strings.Index(metainfo, "</releases>")
	if start < 0 || end < start {
		return "", errors.New("the metainfo has no <releases> element")
	}
	indent := metainfo[strings.LastIndex(metainfo[:start], "\n")+1 : start]
	var b strings.Builder
	b.WriteString("<releases>\n")
	for _, r := range list {
		fmt.Fprintf(&b, "%s  <release version=\"%s\" date=\"%s\">\n%s    <description>\n%s      <ul>\n", indent, r.version, r.date, indent, indent)
		for _, item := range r.items {
			fmt.Fprintf(&b, "%s        <li>%s</li>\n", indent, html.EscapeString(plain(item)))
		}
		fmt.Fprintf(&b, "%s      </ul>\n%s    </description>\n%s  </release>\n", indent, indent, indent)
	}
	b.WriteString(indent + "</releases>")
	return metainfo[:start] + b.String() + metainfo[end+len("</releases>"):], nil
}

// plain is a changelog item as text: Markdown's code and emphasis marks
// and links' addresses taken out.
func plain(item string) string {
	item = regexp.MustCompile(`\[([^\]]+)\]\([^)]+\)`).ReplaceAllString(item, "$1")
	return strings.NewReplacer("`", "", "**", "", "*", "").Replace(item)
}
