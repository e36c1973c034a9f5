// Interop peer on franz-go (kgo + kadm). Contract shared by every peer (see ../README.md):
//
//	--bootstrap H:P --topic T --count N [--mode all|produce|consume] [--idempotence true|false]
//	[--replication-factor R] [--timeout-ms MS]
//
// --mode txn-bench is one client process of `npm run bench:transactions`: --count timed transactions (after
// --warmup untimed ones) of --records records of --size bytes to partition 0, each begin -> produce -> commit;
// the summary carries "transactions" and "ms".
//
// --mode group-consume joins consumer group --group with KIP-848's consumer group protocol (kgo's
// ServerSideBalancer: the broker assigns, ConsumerGroupHeartbeat), consumes until it has read --count records
// (duplicates within the member fail it), commits, and leaves; the summary carries the values read, the member
// id and its last member epoch.
//
// Security (every mode): --tls-ca PEM dials TLS trusting that CA; --sasl-mechanism
// PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|OAUTHBEARER authenticates with --sasl-user/--sasl-password, or for
// OAUTHBEARER with the bearer token --sasl-token (franz-go's sasl/plain, sasl/scram and sasl/oauth packages).
//
// Prints exactly one JSON summary line on stdout; exits 1 on any error or a wrong count.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

const peer = "franz-go"

type options struct {
	bootstrap         string
	topic             string
	count             int
	mode              string
	idempotence       bool
	replicationFactor int
	timeout           time.Duration
	records           int
	size              int
	warmup            int
	group             string
	// security holds the TLS and SASL options every client of this run is made with.
	security []kgo.Opt
}

func main() {
	started := time.Now()
	summary := map[string]any{"peer": peer}
	status := 0
	opts, err := parseArgs(os.Args[1:])
	if err == nil {
		summary["mode"] = opts.mode
		summary["topic"] = opts.topic
		ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
		err = run(ctx, opts, summary)
		cancel()
	}
	if err != nil {
		summary["ok"] = false
		summary["error"] = err.Error()
		status = 1
	} else {
		summary["ok"] = true
	}
	summary["client"] = "franz-go " + moduleVersion("github.com/twmb/franz-go")
	summary["elapsedMs"] = time.Since(started).Milliseconds()
	line, _ := json.Marshal(summary)
	fmt.Println(string(line))
	os.Exit(status)
}

func parseArgs(args []string) (options, error) {
	fs := flag.NewFlagSet(peer, flag.ContinueOnError)
	// The JSON summary reports a bad command line; the usage text would only be noise.
	fs.SetOutput(io.Discard)
	var o options
	var idempotence string
	var timeoutMs int
	fs.StringVar(&o.bootstrap, "bootstrap", "", "host:port[,host:port]")
	fs.StringVar(&o.topic, "topic", "", "topic")
	fs.IntVar(&o.count, "count", -1, "records")
	fs.StringVar(&o.mode, "mode", "all", "all|produce|consume|txn-bench|group-consume")
	fs.StringVar(&o.group, "group", "", "consumer group (group-consume mode)")
	fs.IntVar(&o.records, "records", 10, "records per transaction (txn-bench mode)")
	fs.IntVar(&o.size, "size", 1024, "record size in bytes (txn-bench mode)")
	fs.IntVar(&o.warmup, "warmup", 0, "untimed transactions first (txn-bench mode)")
	fs.StringVar(&idempotence, "idempotence", "true", "true|false (produce mode)")
	fs.IntVar(&o.replicationFactor, "replication-factor", 1, "replication factor of the created topic")
	fs.IntVar(&timeoutMs, "timeout-ms", 60000, "overall deadline")
	var tlsCA, mechanism, user, password, token string
	fs.StringVar(&tlsCA, "tls-ca", "", "PEM file of the CA to trust; dials TLS when set")
	fs.StringVar(&mechanism, "sasl-mechanism", "", "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|OAUTHBEARER")
	fs.StringVar(&user, "sasl-user", "", "SASL user (PLAIN, SCRAM)")
	fs.StringVar(&password, "sasl-password", "", "SASL password (PLAIN, SCRAM)")
	fs.StringVar(&token, "sasl-token", "", "bearer token (OAUTHBEARER)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	security, err := securityOpts(tlsCA, mechanism, user, password, token)
	if err != nil {
		return o, err
	}
	o.security = security
	o.idempotence = idempotence == "true"
	o.timeout = time.Duration(timeoutMs) * time.Millisecond
	switch {
	case o.bootstrap == "" || o.topic == "" || o.count < 0:
		return o, errors.New("--bootstrap, --topic and --count are required")
	case o.mode != "all" && o.mode != "produce" && o.mode != "consume" && o.mode != "txn-bench" && o.mode != "group-consume":
		return o, fmt.Errorf("unknown --mode %s", o.mode)
	case o.mode == "group-consume" && o.group == "":
		return o, errors.New("--group is required with --mode group-consume")
	}
	return o, nil
}

func securityOpts(tlsCA, mechanism, user, password, token string) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if tlsCA != "" {
		pem, err := os.ReadFile(tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", tlsCA)
		}
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
	}
	var m sasl.Mechanism
	switch mechanism {
	case "":
		return opts, nil
	case "PLAIN":
		m = plain.Auth{User: user, Pass: password}.AsMechanism()
	case "SCRAM-SHA-256":
		m = scram.Auth{User: user, Pass: password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		m = scram.Auth{User: user, Pass: password}.AsSha512Mechanism()
	case "OAUTHBEARER":
		m = oauth.Auth{Token: token}.AsMechanism()
	default:
		return nil, fmt.Errorf("unknown --sasl-mechanism %s", mechanism)
	}
	return append(opts, kgo.SASL(m)), nil
}

// newClient is kgo.NewClient with this run's TLS and SASL options added.
func newClient(o options, opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append(opts, o.security...)...)
}

func values(kind string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = peer + "-" + kind + "-" + strconv.Itoa(i)
	}
	return out
}

func run(ctx context.Context, o options, summary map[string]any) error {
	if o.mode == "txn-bench" {
		return txnBench(ctx, o, summary)
	}
	if o.mode == "group-consume" {
		return groupConsume(ctx, o, summary)
	}
	idempotent := o.mode == "all" || (o.mode == "produce" && o.idempotence)
	summary["idempotent"] = idempotent
	summary["transactions"] = o.mode == "all"
	if o.mode != "consume" {
		if err := createTopic(ctx, o); err != nil {
			return fmt.Errorf("create topic: %w", err)
		}
		kind := "plain"
		if idempotent {
			kind = "idem"
		}
		if err := produce(ctx, o, values(kind, o.count), idempotent); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		summary["produced"] = o.count
	}
	if o.mode == "all" {
		if err := transact(ctx, o, values("abort", o.count), values("commit", o.count)); err != nil {
			return fmt.Errorf("transactions: %w", err)
		}
		summary["aborted"] = o.count
		summary["committed"] = o.count
	}
	if o.mode != "produce" {
		expected := o.count
		var wanted []string
		if o.mode == "all" {
			expected = 2 * o.count
			wanted = append(values("idem", o.count), values("commit", o.count)...)
		}
		seen, err := consume(ctx, o)
		if err != nil {
			return fmt.Errorf("consume: %w", err)
		}
		summary["consumed"] = len(seen)
		summary["expected"] = expected
		if problem := verify(seen, expected, wanted); problem != "" {
			return errors.New(problem)
		}
	}
	return nil
}

func createTopic(ctx context.Context, o options) error {
	cl, err := newClient(o, kgo.SeedBrokers(strings.Split(o.bootstrap, ",")...))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, int16(o.replicationFactor), nil, o.topic)
	if err == nil {
		err = resp.Err
	}
	if errors.Is(err, kerr.TopicAlreadyExists) {
		return nil
	}
	return err
}

// franz-go compresses with snappy by default; every peer writes uncompressed batches so that any other peer
// (KafkaJS has no snappy) can read them.
var uncompressed = kgo.ProducerBatchCompression(kgo.NoCompression())

func produce(ctx context.Context, o options, records []string, idempotent bool) error {
	opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(o.bootstrap, ",")...), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DefaultProduceTopic(o.topic), uncompressed}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl, err := newClient(o, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	return produceAll(ctx, cl, records)
}

func produceAll(ctx context.Context, cl *kgo.Client, records []string) error {
	rs := make([]*kgo.Record, len(records))
	for i, v := range records {
		rs[i] = &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: []byte(v)}
	}
	return cl.ProduceSync(ctx, rs...).FirstErr()
}

func transact(ctx context.Context, o options, aborted, committed []string) error {
	cl, err := newClient(o,
		kgo.SeedBrokers(strings.Split(o.bootstrap, ",")...),
		kgo.DefaultProduceTopic(o.topic),
		uncompressed,
		kgo.TransactionalID(peer+"-"+o.topic),
		kgo.TransactionTimeout(30*time.Second),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, step := range []struct {
		records []string
		end     kgo.TransactionEndTry
	}{{aborted, kgo.TryAbort}, {committed, kgo.TryCommit}} {
		if err := cl.BeginTransaction(); err != nil {
			return err
		}
		// ProduceSync waits for every record, so the aborted ones are in the log before EndTxn.
		if err := produceAll(ctx, cl, step.records); err != nil {
			return err
		}
		if err := cl.EndTransaction(ctx, step.end); err != nil {
			return err
		}
	}
	return nil
}

func consume(ctx context.Context, o options) ([]string, error) {
	seeds := kgo.SeedBrokers(strings.Split(o.bootstrap, ",")...)
	admCl, err := newClient(o, seeds)
	if err != nil {
		return nil, err
	}
	defer admCl.Close()
	// Read up to the high watermark, not the last stable offset: EndTxn is answered once the commit is decided, and
	// the markers are written after that (Kafka's TransactionCoordinator), so the LSO listed right after a commit may
	// still stop before the committed records. The read_committed fetch below waits for the LSO to pass them.
	ends, err := kadm.NewClient(admCl).ListEndOffsets(ctx, o.topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, err
	}
	end := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	ends.Each(func(lo kadm.ListedOffset) {
		end[lo.Partition] = lo.Offset
		start[lo.Partition] = kgo.NewOffset().AtStart()
	})
	if len(end) == 0 {
		return nil, fmt.Errorf("topic %s has no partitions", o.topic)
	}
	cl, err := newClient(o, seeds,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records are kept so the reader can see that it passed the commit marker at the end.
		kgo.KeepControlRecords(),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	next := map[int32]int64{}
	var seen []string
	for !caughtUp(next, end) {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("timed out after %d records: %w", len(seen), err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return nil, errs[0].Err
		}
		fetches.EachRecord(func(r *kgo.Record) {
			next[r.Partition] = r.Offset + 1
			if !r.Attrs.IsControl() {
				seen = append(seen, string(r.Value))
			}
		})
	}
	return seen, nil
}

func caughtUp(next, end map[int32]int64) bool {
	for p, e := range end {
		if next[p] < e {
			return false
		}
	}
	return true
}

func verify(seen []string, expected int, wanted []string) string {
	unique := map[string]bool{}
	for _, v := range seen {
		if strings.Contains(v, "-abort-") {
			return "read an aborted record: " + v
		}
		if unique[v] {
			return "duplicate record: " + v
		}
		unique[v] = true
	}
	if len(seen) != expected {
		return fmt.Sprintf("expected %d records, read %d", expected, len(seen))
	}
	if wanted != nil {
		for i := range wanted {
			if wanted[i] != seen[i] {
				return "records out of order or unexpected"
			}
		}
	}
	return ""
}

func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == path {
				return dep.Version
			}
		}
	}
	return "unknown"
}

// txnBench times transactions the way the other clients of the transactions bench do: the records of one
// transaction are produced without waiting for each, and the commit flushes them (franz-go's EndTransaction
// requires them flushed first, which Flush does).
func txnBench(ctx context.Context, o options, summary map[string]any) error {
	cl, err := newClient(o,
		kgo.SeedBrokers(strings.Split(o.bootstrap, ",")...),
		kgo.DefaultProduceTopic(o.topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		uncompressed,
		kgo.TransactionalID("bench-franz-go-"+o.topic),
		kgo.TransactionTimeout(60*time.Second),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	value := []byte(strings.Repeat("a", o.size))
	one := func() error {
		if err := cl.BeginTransaction(); err != nil {
			return err
		}
		// Promises run on franz-go's goroutines.
		var mu sync.Mutex
		var failed error
		for i := 0; i < o.records; i++ {
			cl.Produce(ctx, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: value, Partition: 0}, func(_ *kgo.Record, err error) {
				mu.Lock()
				if err != nil && failed == nil {
					failed = err
				}
				mu.Unlock()
			})
		}
		if err := cl.Flush(ctx); err != nil {
			return err
		}
		mu.Lock()
		err := failed
		mu.Unlock()
		if err != nil {
			return err
		}
		return cl.EndTransaction(ctx, kgo.TryCommit)
	}
	for t := 0; t < o.warmup; t++ {
		if err := one(); err != nil {
			return err
		}
	}
	started := time.Now()
	for t := 0; t < o.count; t++ {
		if err := one(); err != nil {
			return err
		}
	}
	summary["ms"] = float64(time.Since(started).Microseconds()) / 1000
	summary["transactions"] = o.count
	return nil
}

// groupConsume is one member of a KIP-848 consumer group: kgo runs the consumer group protocol only with
// ServerSideBalancer and a balancer the broker can stand in for (range or cooperative-sticky).
func groupConsume(ctx context.Context, o options, summary map[string]any) error {
	cl, err := newClient(o,
		kgo.SeedBrokers(strings.Split(o.bootstrap, ",")...),
		kgo.ConsumerGroup(o.group),
		kgo.ConsumeTopics(o.topic),
		kgo.ServerSideBalancer(),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	seen := map[string]bool{}
	var values []string
	for len(values) < o.count {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("timed out after %d records: %w", len(values), err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return errs[0].Err
		}
		var dup error
		fetches.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			if seen[v] {
				dup = fmt.Errorf("duplicate record: %s", v)
			}
			seen[v] = true
			values = append(values, v)
		})
		if dup != nil {
			return dup
		}
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	memberID, epoch := cl.GroupMetadata()
	summary["memberId"] = memberID
	summary["memberEpoch"] = epoch
	summary["consumed"] = len(values)
	summary["values"] = values
	// The deferred Close leaves the group (a heartbeat with member epoch -1) before the summary is printed.
	return nil
}
