package wxpay

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// BatchQueryCommentRequest asks for the payers' comments (订单评价) made
// from BeginTime to EndTime, at most three months ago. Offset is where
// to continue: 0 for the first page, then the Offset of the page before.
type BatchQueryCommentRequest struct {
	BeginTime time.Time // required
	EndTime   time.Time // required
	Offset    int
	Limit     int // 1 to 200; 0 means 200
}

// MaxCommentLimit is the most comments one BatchQueryComment returns.
const MaxCommentLimit = 200

func (r *BatchQueryCommentRequest) build(b *request) {
	switch {
	case r.BeginTime.IsZero():
		b.fail("begin_time", "is required")
	case r.EndTime.IsZero():
		b.fail("end_time", "is required")
	case r.EndTime.Before(r.BeginTime):
		b.fail("end_time", "is before begin_time")
	case r.Offset < 0:
		b.fail("offset", "must not be negative")
	case r.Limit < 0 || r.Limit > MaxCommentLimit:
		b.fail("limit", fmt.Sprintf("is %d, must be 1 to %d", r.Limit, MaxCommentLimit))
	}
	b.time("begin_time", r.BeginTime)
	b.time("end_time", r.EndTime)
	b.set("offset", strconv.Itoa(r.Offset)) // 0 is sent: WeChat requires the field
	b.number("limit", int64(r.Limit))
}

// Comment is one payer's comment on a payment.
type Comment struct {
	Time          time.Time // Beijing time
	TransactionID string
	Stars         int // 1 to 5
	Content       string
	Raw           []string // the line's values, as written
}

// CommentBatch is one page of comments.
type CommentBatch struct {
	// Offset is the offset of the page's last comment: pass it as the
	// next request's Offset to read on.
	Offset   int
	Comments []Comment
}

// CommentReader reads a page of comments line by line: the answer of
// batchquerycomment is a text table (the offset on the first line, then
// one `time,`transaction_id,`stars,`content line per comment), not XML.
type CommentReader struct {
	sc     *bufio.Scanner
	closer io.Closer
	offset int
	line   int
	err    error
}

var endpointBatchQueryComment = endpoint{
	path: "/billcommentsp/batchquerycomment", cert: true, signType: SignTypeHMACSHA256, idempotent: true,
}

// BatchQueryComment returns a page of the payers' comments (POST
// /billcommentsp/batchquerycomment, HMAC-SHA256, with the client
// certificate). A malformed answer is a *BillFormatError naming its
// line; WeChat's refusals are *Errors.
func (c *Client) BatchQueryComment(ctx context.Context, r *BatchQueryCommentRequest) (*CommentBatch, error) {
	cr, err := c.OpenComments(ctx, r)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	out := &CommentBatch{Offset: cr.Offset()}
	for {
		cm, err := cr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out.Comments = append(out.Comments, cm)
	}
}

// OpenComments is BatchQueryComment returning a reader that parses the
// page as it arrives. The caller must Close it.
func (c *Client) OpenComments(ctx context.Context, r *BatchQueryCommentRequest) (*CommentReader, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	fields, err := build(r)
	if err != nil {
		return nil, err
	}
	body, err := c.open(ctx, endpointBatchQueryComment, fields)
	if err != nil {
		return nil, err
	}
	cr, err := newCommentReader(body, body)
	if err != nil {
		body.Close()
		return nil, err
	}
	return cr, nil
}

// NewCommentReader reads a page of comments saved from OpenComments.
func NewCommentReader(r io.Reader) (*CommentReader, error) { return newCommentReader(r, nil) }

func newCommentReader(r io.Reader, closer io.Closer) (*CommentReader, error) {
	cr := &CommentReader{sc: bufio.NewScanner(r), closer: closer}
	cr.sc.Buffer(make([]byte, 0, 4096), maxBillLine)
	line, err := cr.nextLine()
	if err == io.EOF {
		return nil, &BillFormatError{Line: cr.line, Err: errors.New("empty answer: no offset line")}
	}
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(strings.TrimPrefix(string(line), "`"))
	n, perr := strconv.Atoi(s)
	if perr != nil || n < 0 {
		return nil, &BillFormatError{Line: cr.line, Err: fmt.Errorf("first line %q is not an offset", truncate(s, 40))}
	}
	cr.offset = n
	return cr, nil
}

// Offset is the first line of the answer: the offset of the page's last
// comment.
func (r *CommentReader) Offset() int { return r.offset }

// Next returns the next comment, or io.EOF after the last one. A
// malformed line is a *BillFormatError, and ends the reading.
func (r *CommentReader) Next() (Comment, error) {
	if r.err != nil {
		return Comment{}, r.err
	}
	line, err := r.nextLine()
	if err != nil {
		r.err = err
		return Comment{}, err
	}
	cm, err := parseComment(line)
	if err != nil {
		r.err = &BillFormatError{Line: r.line, Err: err}
		return Comment{}, r.err
	}
	return cm, nil
}

// Close closes the download the reader reads from, if any.
func (r *CommentReader) Close() error {
	if r.err == nil {
		r.err = errors.New("wxpay: comment reader closed")
	}
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

func (r *CommentReader) nextLine() ([]byte, error) {
	for r.sc.Scan() {
		r.line++
		if line := bytes.TrimSpace(r.sc.Bytes()); len(line) > 0 {
			return line, nil
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &BillFormatError{Line: r.line + 1, Err: fmt.Errorf("line longer than %d bytes", maxBillLine)}
		}
		return nil, fmt.Errorf("wxpay: reading comments: %w", err)
	}
	return nil, io.EOF
}

// parseComment reads `time,`transaction_id,`stars,`content. The content
// is the rest of the line, commas and backticks included.
func parseComment(line []byte) (Comment, error) {
	if line[0] != '`' {
		return Comment{}, fmt.Errorf("comment line does not start with a backtick: %q", truncate(string(line), 40))
	}
	raw := strings.SplitN(string(line[1:]), ",`", 4)
	if len(raw) != 4 {
		return Comment{}, fmt.Errorf("%d values for the 4 of a comment", len(raw))
	}
	t, err := time.ParseInLocation(timeLayoutDash, raw[0], beijing)
	if err != nil {
		return Comment{}, fmt.Errorf("comment time %q is not in the form %s", truncate(raw[0], 40), timeLayoutDash)
	}
	stars, err := strconv.Atoi(raw[2])
	if err != nil || stars < 0 || stars > 5 {
		return Comment{}, fmt.Errorf("stars %q is not 0 to 5", truncate(raw[2], 10))
	}
	return Comment{Time: t, TransactionID: raw[1], Stars: stars, Content: raw[3], Raw: raw}, nil
}
