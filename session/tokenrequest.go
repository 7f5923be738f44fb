package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"
)

// maxTokenAnswer bounds how much of a token response is read.
const maxTokenAnswer = 1 << 20

// postToken makes one token request (RFC 6749 section 3.2) with form, as
// a public client: renewals, with the resource or audience of a named
// token when one is asked for, which golang.org/x/oauth2 cannot add to a
// refresh. An error answer is an [*oauth2.RetrieveError], so that
// [providerError] classes it as it classes the answers to
// golang.org/x/oauth2's requests; an answer that is not a token response
// wraps [ErrMalformedAnswer].
func postToken(ctx context.Context, client *http.Client, endpoint string, form url.Values) (*oauth2.Token, error) {
	resp, body, err := postForm(ctx, client, endpoint, form)
	if err != nil {
		return nil, err
	}
	var answer struct {
		AccessToken  string      `json:"access_token"`
		TokenType    string      `json:"token_type"`
		RefreshToken string      `json:"refresh_token"`
		ExpiresIn    json.Number `json:"expires_in"`
	}
	parseErr := json.Unmarshal(body, &answer)
	if err := answerError(resp, body); err != nil {
		return nil, err
	}
	if parseErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedAnswer, parseErr)
	}
	if answer.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access token in it", ErrMalformedAnswer)
	}
	raw := map[string]any{}
	_ = json.Unmarshal(body, &raw) // the same bytes parsed above
	tok := &oauth2.Token{AccessToken: answer.AccessToken, TokenType: answer.TokenType, RefreshToken: answer.RefreshToken}
	if secs, err := answer.ExpiresIn.Int64(); err == nil && secs > 0 {
		tok.ExpiresIn = secs
	}
	return tok.WithExtra(raw), nil
}

// postForm posts form to endpoint and reads the answer.
func postForm(ctx context.Context, client *http.Client, endpoint string, form url.Values) (*http.Response, []byte, error) {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, spent(err, wrote.Load())
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	resp.Body.Close()
	if err != nil {
		return nil, nil, spent(err, true)
	}
	return resp, body, nil
}

// errMaybeSpent marks a failure of a token request that was sent, whose
// answer never came (a timeout, a connection cut): the provider may have
// processed it, and spent the refresh token in it. It is not sent again
// by the same call; a failure to connect, or a transient answer, may be.
var errMaybeSpent = errors.New("the request was sent and no answer came")

// spent marks err with errMaybeSpent when the request was written.
func spent(err error, wrote bool) error {
	if !wrote {
		return err
	}
	return fmt.Errorf("%w: %w", errMaybeSpent, err)
}

// answerError is the [*oauth2.RetrieveError] of an error answer (RFC 6749
// section 5.2): an error status, or an error code with any status; nil
// for a success.
func answerError(resp *http.Response, body []byte) error {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorURI         string `json:"error_uri"`
	}
	parsed := json.Unmarshal(body, &e) == nil
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 && (!parsed || e.Error == "") {
		return nil
	}
	return &oauth2.RetrieveError{
		Response: resp, Body: body,
		ErrorCode: e.Error, ErrorDescription: e.ErrorDescription, ErrorURI: e.ErrorURI,
	}
}
