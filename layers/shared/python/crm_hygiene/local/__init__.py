"""Local tooling: a seeded generator of realistic, messy HubSpot-style CRM exports with an answer key."""
