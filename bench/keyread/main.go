// Command keyread is the baseline of the `latch token` measurement: the
// least a program can do to print a secret from the keychain, reading one
// item with go-keyring. With -write it stores the item first. See
// bench/README.md.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/zalando/go-keyring"
)

func main() {
	service := flag.String("service", "latch-bench", "keychain service")
	user := flag.String("user", "item", "keychain user")
	write := flag.Int("write", 0, "store an item of this many bytes, then exit")
	flag.Parse()
	if *write > 0 {
		value := make([]byte, *write)
		for i := range value {
			value[i] = 'a' + byte(i%26)
		}
		if err := keyring.Set(*service, *user, string(value)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	v, err := keyring.Get(*service, *user)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(len(v))
}
