package sandboxserver

import (
	"context"
	"errors"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// StoreDeviceAuthorization implements op.DeviceAuthorizationStorage.
func (s *storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if clientID != ClientID {
		return notFound{"client"}
	}
	for code, d := range s.devices { // purge expired codes
		if s.now().After(d.state.Expires) {
			delete(s.devices, code)
			delete(s.userCodes, d.userCode)
		}
	}
	if _, ok := s.userCodes[userCode]; ok {
		return op.ErrDuplicateUserCode
	}
	s.devices[deviceCode] = &deviceEntry{userCode: userCode, resources: extrasOf(ctx).resources, state: op.DeviceAuthorizationState{
		ClientID: clientID, Scopes: scopes, Expires: expires,
	}}
	s.userCodes[userCode] = deviceCode
	return nil
}

// GetDeviceAuthorizatonState implements op.DeviceAuthorizationStorage.
func (s *storage) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceCode]
	if !ok || d.state.ClientID != clientID {
		return nil, notFound{"device code"}
	}
	st := d.state
	if st.Done || st.Denied {
		// A device code yields tokens once.
		delete(s.devices, deviceCode)
		delete(s.userCodes, d.userCode)
	}
	if st.Done && len(d.resources) > 0 {
		if s.approved == nil {
			s.approved = map[*op.DeviceAuthorizationState][]string{}
		}
		s.approved[&st] = d.resources
	}
	return &st, nil
}

// deviceByUserCode finds a pending device authorization.
func (s *storage) deviceByUserCode(userCode string) (*op.DeviceAuthorizationState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[s.userCodes[userCode]]
	if !ok || s.now().After(d.state.Expires) || d.state.Done || d.state.Denied {
		return nil, false
	}
	st := d.state
	return &st, true
}

// completeDevice approves (username set) or denies a device authorization.
func (s *storage) completeDevice(userCode, username string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[s.userCodes[userCode]]
	if !ok || s.now().After(d.state.Expires) {
		return errors.New("this code is unknown or has expired")
	}
	if !approve {
		d.state.Denied = true
		return nil
	}
	d.state.Done = true
	d.state.Subject = subjectOf(username)
	d.state.AuthTime = s.now()
	d.state.AMR = []string{"pwd"}
	return nil
}
