"""The tenant (Organization), people in it (Membership), its unit tree and access."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as dj_timezone
from tree_queries.models import TreeNode

from core.models import OrgScopedModel

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz] + [
    ("UTC", "UTC")
]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value} is not a known time zone.")


def normalize_login_email(raw: str | None) -> str:
    """The form of an email that log-in matches on: NFKC, no outer spaces, lower case."""
    return unicodedata.normalize("NFKC", raw or "").strip().lower()


def axes_username(request, credentials: dict | None) -> str:
    """django-axes counts failures per normalised email, so changing case cannot dodge it."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = getattr(request, "POST", {}).get("username")
    return normalize_login_email(raw)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email: str) -> User:
        # Stored emails are lower case; log-ins and the lock-out normalise the same way.
        return self.get(email=normalize_login_email(email))

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can log in. Global: one user may belong to several organisations."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


class CheckinCadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class Organization(models.Model):
    """The tenant. Every other business table carries an org foreign key."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    checkin_cadence = models.CharField(
        max_length=20, choices=CheckinCadence.choices, default=CheckinCadence.WEEKLY
    )
    # Review reminders go out at this hour of the morning, in the org's timezone.
    reminder_hour = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(23)])
    # Owners are reminded to make final check-ins this many days before a cycle ends.
    cycle_reminder_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(TreeNode, OrgScopedModel):
    """A company, division, department or team; units form a tree of any depth."""

    name = models.CharField(max_length=120)
    lead = models.ForeignKey(
        "Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="led_units"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "parent", "name"], name="unit_unique_name_per_parent"
            ),
            models.UniqueConstraint(
                fields=["org", "name"],
                condition=models.Q(parent__isnull=True),
                name="unit_unique_root_name",
            ),
        ]
        indexes = [models.Index(fields=["org", "parent"], name="unit_org_parent")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    MEMBER = "member", "Member"


class Membership(OrgScopedModel):
    """A person in an organisation: role, unit, title and the manager they report to."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(max_length=120, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "user"], name="membership_unique_user")
        ]
        indexes = [
            models.Index(fields=["org", "unit"], name="membership_org_unit"),
            models.Index(fields=["org", "manager"], name="membership_org_manager"),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        return self.user.full_name or self.user.email


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(OrgScopedModel):
    """A one-time link inviting an email address into an organisation."""

    email = models.EmailField()
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL)
    manager = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by = models.ForeignKey(
        Membership, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "token_hash"], name="invitation_unique_token")
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        raw = secrets.token_urlsafe(32)
        return raw, _hash_token(raw)

    @staticmethod
    def hash(raw: str) -> str:
        return _hash_token(raw)

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > dj_timezone.now()


class ApiToken(OrgScopedModel):
    """A per-user token bound to one organisation, for scripts using the API."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=dj_timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["org", "token_hash"], name="apitoken_unique_hash")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_token() -> tuple[str, str]:
        raw = "cairn_" + secrets.token_urlsafe(32)
        return raw, _hash_token(raw)

    @staticmethod
    def hash(raw: str) -> str:
        return _hash_token(raw)
