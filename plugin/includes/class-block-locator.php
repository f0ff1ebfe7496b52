<?php
/**
 * Finds a Chat block by post id and blockId in the saved post, and returns its
 * attributes with block.json's defaults for the ones the editor did not save
 * (WordPress saves only attributes that differ from their default).
 *
 * Only published, publicly viewable posts without a password count: a draft,
 * private, scheduled or protected post answers 404, as if it did not exist.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Block_Type_Registry;
use WP_Error;
use WP_Post;

defined( 'ABSPATH' ) || exit;

final class Block_Locator {

	public const BLOCK_NAME = 'sluice/chat';

	/** Synced patterns inside synced patterns, at most this deep. */
	private const MAX_DEPTH = 8;

	/**
	 * A copy of block.json's defaults for when the block type is not registered (no
	 * build); otherwise defaults() reads block.json's own. test/plugin/block-attributes.test.ts
	 * keeps this copy equal to blocks/chat/block.json.
	 */
	private const DEFAULTS = array(
		'blockId'         => '',
		'title'           => 'Ask us anything',
		'welcome'         => 'Hi! How can I help?',
		'systemPrompt'    => '',
		'model'           => 'auto',
		'maxTokens'       => 512,
		'placeholder'     => 'Type your question…',
		'suggestions'     => '',
		'memoryDays'      => 7,
		'keepTranscripts' => false,
		'dailyQuestions'  => 0,
	);

	/**
	 * @return array<string, mixed>|WP_Error The block's attributes, defaults applied.
	 */
	public function locate( int $post_id, string $block_id ): array|WP_Error {
		$post = get_post( $post_id );
		if ( ! $post instanceof WP_Post || ! $this->is_public( $post ) ) {
			return Error_Codes::wp_error( Error_Codes::SLUICE_POST_NOT_FOUND, __( 'This chat is not on a published page.', 'sluice' ) );
		}
		if ( '' === $block_id ) {
			return $this->block_not_found();
		}
		$block = $this->find( parse_blocks( $post->post_content ), $block_id, 0, array() );
		if ( null === $block ) {
			return $this->block_not_found();
		}
		if ( self::BLOCK_NAME !== $block['blockName'] ) {
			return Error_Codes::wp_error( Error_Codes::SLUICE_NOT_CHAT_BLOCK, __( 'This block is not a chat.', 'sluice' ) );
		}
		return array_merge( $this->defaults(), is_array( $block['attrs'] ) ? $block['attrs'] : array() );
	}

	private function is_public( WP_Post $post ): bool {
		return 'publish' === get_post_status( $post )
			&& '' === $post->post_password
			&& is_post_publicly_viewable( $post );
	}

	private function block_not_found(): WP_Error {
		return Error_Codes::wp_error( Error_Codes::SLUICE_BLOCK_NOT_FOUND, __( 'This chat no longer exists on the page. Reload the page.', 'sluice' ) );
	}

	/**
	 * Depth-first search through innerBlocks and published synced patterns (core/block).
	 *
	 * @param array<int, array<string, mixed>> $blocks  Parsed blocks.
	 * @param string                           $block_id Wanted blockId.
	 * @param int                              $depth   Synced-pattern nesting so far.
	 * @param int[]                            $visited Synced patterns already searched.
	 * @return array<string, mixed>|null
	 */
	private function find( array $blocks, string $block_id, int $depth, array $visited ): ?array {
		foreach ( $blocks as $block ) {
			$attrs = is_array( $block['attrs'] ?? null ) ? $block['attrs'] : array();
			if ( isset( $attrs['blockId'] ) && $block_id === $attrs['blockId'] ) {
				return $block;
			}
			if ( ! empty( $block['innerBlocks'] ) ) {
				$found = $this->find( $block['innerBlocks'], $block_id, $depth, $visited );
				if ( null !== $found ) {
					return $found;
				}
			}
			$ref = isset( $attrs['ref'] ) ? (int) $attrs['ref'] : 0;
			if ( 'core/block' === ( $block['blockName'] ?? null ) && $ref > 0 && $depth < self::MAX_DEPTH && ! in_array( $ref, $visited, true ) ) {
				$pattern = get_post( $ref );
				if ( $pattern instanceof WP_Post && 'wp_block' === $pattern->post_type && 'publish' === $pattern->post_status ) {
					$found = $this->find( parse_blocks( $pattern->post_content ), $block_id, $depth + 1, array_merge( $visited, array( $ref ) ) );
					if ( null !== $found ) {
						return $found;
					}
				}
			}
		}
		return null;
	}

	/**
	 * The registered block type's defaults (block.json, as built), else the contract's.
	 *
	 * @return array<string, mixed>
	 */
	private function defaults(): array {
		$type = WP_Block_Type_Registry::get_instance()->get_registered( self::BLOCK_NAME );
		if ( null === $type || ! is_array( $type->attributes ) ) {
			return self::DEFAULTS;
		}
		$defaults = array();
		foreach ( $type->attributes as $name => $schema ) {
			if ( is_array( $schema ) && array_key_exists( 'default', $schema ) ) {
				$defaults[ $name ] = $schema['default'];
			}
		}
		return array_merge( self::DEFAULTS, $defaults );
	}
}
