package arm

// ValidateTags applies ARM's tag limits (count, name and value lengths,
// reserved characters) with Azure's errors, for providers whose PATCH
// hooks set tags themselves.
func ValidateTags(tags map[string]string) error {
	if err := validateTags(tags); err != nil {
		return err
	}
	return nil
}
