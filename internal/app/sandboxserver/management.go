package sandboxserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// MaxMetadataBytes is the sandbox's limit on a user's user_metadata,
// encoded as JSON: the limit Latch itself keeps to. (Auth0 has limits of
// its own; this one keeps the state file small.)
const MaxMetadataBytes = 16 << 10

// maxPatchBytes bounds a PATCH body.
const maxPatchBytes = 64 << 10

// mgmtError writes an error in the Auth0 Management API's shape.
func mgmtError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"statusCode": status,
		"error":      http.StatusText(status),
		"message":    message,
		"errorCode":  code,
	})
}

// onUser serves GET and PATCH /api/v2/users/{id} for the signed-in user's
// own record, with the user's access token.
func (s *Server) onUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var scope string
	switch r.Method {
	case http.MethodGet:
		scope = ScopeReadCurrentUser
	case http.MethodPatch:
		scope = ScopeUpdateCurrentUserMD
	default:
		w.Header().Set("Allow", "GET, PATCH")
		mgmtError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Use GET or PATCH")
		return
	}
	at, _, authErr := s.presented(r)
	if authErr != nil {
		authErr.challenge(w)
		mgmtError(w, http.StatusUnauthorized, "", authErr.msg)
		return
	}
	if !slices.Contains(at.Scopes, scope) {
		mgmtError(w, http.StatusForbidden, "insufficient_scope", "Insufficient scope, expected any of: "+scope)
		return
	}
	if id != at.Subject {
		mgmtError(w, http.StatusForbidden, "insufficient_scope", "You may only read or change your own user record")
		return
	}
	a, ok := accountBySubject(id)
	if !ok {
		mgmtError(w, http.StatusNotFound, "inexistent_user", "The user does not exist.")
		return
	}
	if r.Method == http.MethodPatch {
		if !s.patchMetadata(w, r, id) {
			return
		}
	}
	user := s.userRecord(a)
	fields, err := selectFields(r, user)
	if err != nil {
		mgmtError(w, http.StatusBadRequest, "invalid_query_string", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(fields)
}

// userRecord is the user as the Management API shows it.
func (s *Server) userRecord(a Account) map[string]any {
	s.storage.mu.Lock()
	md := s.storage.st.Metadata[subjectOf(a.Username)]
	if md == nil {
		md = map[string]any{}
	}
	md = cloneJSON(md)
	s.storage.mu.Unlock()
	return map[string]any{
		"user_id":        subjectOf(a.Username),
		"username":       a.Username,
		"name":           a.Name,
		"given_name":     a.GivenName,
		"family_name":    a.FamilyName,
		"nickname":       a.Username,
		"email":          a.Email,
		"email_verified": a.EmailVerified,
		"picture":        s.storage.pictureURL(a.Username),
		"user_metadata":  md,
		"app_metadata":   map[string]any{},
		"identities": []map[string]any{{
			"provider": "sandbox", "user_id": a.Username, "connection": "Username-Password-Authentication", "isSocial": false,
		}},
		"created_at": time.Unix(0, 0).UTC().Format(time.RFC3339),
	}
}

// selectFields applies fields and include_fields as Auth0 does: a comma
// list of fields to include (include_fields=true, the default) or to
// leave out (include_fields=false).
func selectFields(r *http.Request, user map[string]any) (map[string]any, error) {
	fields := r.URL.Query().Get("fields")
	if fields == "" {
		return user, nil
	}
	include := true
	switch v := r.URL.Query().Get("include_fields"); v {
	case "", "true":
	case "false":
		include = false
	default:
		//lint:ignore ST1005 Auth0's own wording, sent as the API's message
		return nil, fmt.Errorf("Query validation error: 'include_fields' must be true or false, not %q", v)
	}
	named := map[string]bool{}
	for _, f := range strings.Split(fields, ",") {
		named[strings.TrimSpace(f)] = true
	}
	out := map[string]any{}
	for k, v := range user {
		if named[k] == include {
			out[k] = v
		}
	}
	return out, nil
}

// patchMetadata applies {"user_metadata": {...}} with Auth0's rules:
// root-level merge, nested objects replaced whole, null deletes a key, {}
// changes nothing, no "." or "$" in key names, a size limit. It writes the
// error itself and reports whether to go on.
func (s *Server) patchMetadata(w http.ResponseWriter, r *http.Request, subject string) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPatchBytes+1))
	if err != nil {
		mgmtError(w, http.StatusBadRequest, "invalid_body", "Could not read the body")
		return false
	}
	if len(body) > maxPatchBytes {
		mgmtError(w, http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("Payload validation error: body exceeds %d bytes", maxPatchBytes))
		return false
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		mgmtError(w, http.StatusBadRequest, "invalid_body", "Payload validation error: 'Invalid JSON'")
		return false
	}
	for k := range patch {
		if k != "user_metadata" {
			mgmtError(w, http.StatusForbidden, "insufficient_scope", fmt.Sprintf("Only user_metadata can be changed with this token, not %q", k))
			return false
		}
	}
	var changes map[string]any
	if raw, ok := patch["user_metadata"]; ok {
		if err := json.Unmarshal(raw, &changes); err != nil || changes == nil {
			mgmtError(w, http.StatusBadRequest, "invalid_body", "Payload validation error: 'Expected type object but found type "+jsonType(raw)+"' on property user_metadata.")
			return false
		}
	}
	if err := checkKeys(changes, "user_metadata"); err != nil {
		mgmtError(w, http.StatusBadRequest, "invalid_body", err.Error())
		return false
	}
	s.storage.mu.Lock()
	defer s.storage.mu.Unlock()
	current := cloneJSON(s.storage.st.Metadata[subject])
	if current == nil {
		current = map[string]any{}
	}
	for k, v := range changes {
		if v == nil {
			delete(current, k)
		} else {
			current[k] = v
		}
	}
	encoded, _ := json.Marshal(current)
	if len(encoded) > MaxMetadataBytes {
		mgmtError(w, http.StatusBadRequest, "metadata_too_large", fmt.Sprintf("Payload validation error: user_metadata exceeds %d bytes", MaxMetadataBytes))
		return false
	}
	previous := s.storage.st.Metadata[subject]
	s.storage.st.Metadata[subject] = current
	if err := s.storage.persistLocked(); err != nil {
		s.storage.st.Metadata[subject] = previous
		mgmtError(w, http.StatusInternalServerError, "state_not_saved", "The change could not be saved")
		return false
	}
	return true
}

// checkKeys rejects key names with "." or "$", at any depth, and empty
// names.
func checkKeys(v any, path string) error {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if k == "" || strings.ContainsAny(k, ".$") {
				//lint:ignore ST1005 Auth0's own wording, sent as the API's message
				return fmt.Errorf("Payload validation error: invalid key %q in %s: key names must not be empty or contain '.' or '$'", k, path)
			}
			if err := checkKeys(child, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range t {
			if err := checkKeys(child, path); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonType(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid"
	}
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "object"
}

// cloneJSON deep-copies a JSON object.
func cloneJSON(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
