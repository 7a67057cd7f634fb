"""The sample organization's domain interfaces: what the users, facilities and devices projects
share. Each module declares one domain's DTOs and `Interface`; the projects implement their own
domain and call the others only through these declarations (locally or over REST).

Also here: the demo data set (`demo_data`), the contract tests of each interface (`contracts`)
and in-memory fakes (`fakes`) for the projects' own tests.
"""
