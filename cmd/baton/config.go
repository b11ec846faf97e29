package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// parseFlags parses args into fs, letting flags and positional arguments mix
// (`baton project add xz --display-name X`), then fills each flag not given on the command line from
// its BATON_* environment variable, then from the config file (--config or BATON_CONFIG): flags win over
// the environment, which wins over the file. It returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	configPath := fs.String("config", "", "a config `FILE` of name = value lines, named as the flags (env BATON_CONFIG)")
	useHelp(fs)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["config"] {
		*configPath = os.Getenv("BATON_CONFIG")
	}
	file, err := readConfigFile(*configPath)
	if err != nil {
		return nil, err
	}
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "config" {
			return
		}
		value, ok := os.LookupEnv(envName(f.Name))
		if !ok {
			value, ok = file[f.Name]
		}
		if ok {
			if err := f.Value.Set(value); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", envName(f.Name), err))
			}
		}
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return positional, nil
}

// envName is the environment variable of a flag: --base-url is BATON_BASE_URL.
func envName(flagName string) string {
	return "BATON_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// readConfigFile reads `name = value` lines; # starts a comment.
func readConfigFile(path string) (map[string]string, error) {
	values := map[string]string{}
	if path == "" {
		return values, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, ok := strings.Cut(text, "=")
		if !ok {
			return nil, fmt.Errorf("config file %s:%d: want name = value", path, line)
		}
		values[strings.TrimSpace(name)] = strings.Trim(strings.TrimSpace(value), `"`)
	}
	return values, sc.Err()
}

// hostList is a comma-separated list of hosts, each with a port if it has one (as an instance's URL
// names it): "notices.example.org,baton.example.net:8443".
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	*h = nil
	for _, host := range strings.Split(v, ",") {
		host = strings.ToLower(strings.TrimSpace(host))
		if host == "" {
			continue
		}
		if u, err := url.Parse("https://" + host); err != nil || u.Host != host || u.Hostname() == "" {
			return fmt.Errorf("%q is not a host (give host or host:port, without scheme or path)", host)
		}
		*h = append(*h, host)
	}
	return nil
}
