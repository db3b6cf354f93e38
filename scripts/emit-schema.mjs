// Placeholder until the policy helper writes the JSON Schema emitter.
